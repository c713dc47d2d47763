"""Holding a task's concurrency slots around each attempt of its call.

The driver puts a task's limited tags and their slot counts in its
``TaskPlan``; before each attempt the state layer takes one slot of every
tag at once from the executor's limiter (``executors.slots.limiter_for``:
in-process for local executors, the scheduler plugin on Dask), and gives
them back when the attempt ends, so a retry's delay holds no slot.

A call that has to wait reports itself Pending with a message saying which
tags it waits for (one event, only when it really waits), and its recorded
start is when it got the slots: waiting is not running. A run cancelled
meanwhile stops the wait (``interrupts.is_cancelled``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from executors import events
from executors.slots import Lease, limiter_for

from . import interrupts

__all__ = ["acquire_slots"]


def acquire_slots(
    slots: Mapping[str, int], topic: str, run_id: str, task: str, key: str, name: str, attempt: int, sink: events.Sink
) -> Lease:
    """Block until this attempt holds a slot of every tag in ``slots``; the lease to release after it."""

    def report_waiting() -> None:
        tags = ", ".join(f"{tag} ({limit} slots)" for tag, limit in sorted(slots.items()))
        sink.emit(
            _waiting_event(run_id, task, key, name, attempt, sink.worker, f"waiting for a concurrency slot: {tags}")
        )

    holder = {"run": run_id, "key": key, "name": name, "attempt": attempt}
    return limiter_for(topic).acquire(slots, holder, report_waiting, lambda: interrupts.is_cancelled(run_id))


def _waiting_event(
    run_id: str, task: str, key: str, name: str, attempt: int, worker: str | None, message: str
) -> dict[str, Any]:
    now = time.time()
    return {
        "run": run_id,
        "key": key,
        "task": task,
        "name": name,
        "state": "Pending",
        "ts": now,
        "start": None,
        "end": None,
        "attempt": attempt,
        "worker": worker,
        "message": message,
        "error": None,
    }
