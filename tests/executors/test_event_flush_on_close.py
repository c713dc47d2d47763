"""A worker that closes sends the task events it still batches, instead of taking them along."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from dask.task_spec import Task

from executors import DaskExecutor, events

pytestmark = pytest.mark.cluster

#: Backstop for the event to arrive; it comes as the worker closes.
ARRIVE_WITHIN = 60.0


def _emit(topic: str, n: int) -> int:
    events.sink(topic).emit({"n": n})
    return n


def _emit_then_close(topic: str, n: int) -> int:
    """Send an event, which waits for its batch (the worker sent one just now), then close the worker."""
    from distributed import get_worker

    worker = get_worker()
    events.sink(topic).emit({"n": n})
    worker.loop.add_callback(worker.close)
    return n


def _booted_seconds_ago(seconds: float) -> Any:
    """A monotonic clock that reads as on a machine booted ``seconds`` ago (Linux counts from the boot)."""
    offset = time.monotonic() - seconds
    return lambda: time.monotonic() - offset


def test_a_closing_worker_sends_its_batched_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """With batches held for an hour, an event waiting in one still arrives: the worker sends it as it closes.

    On a machine booted a minute ago: the first event of a worker that never sent goes at once.
    """
    from distributed import LocalCluster

    # In-process workers, so this process's LINGER holds: a scheduled send would come after an hour.
    monkeypatch.setattr(events, "LINGER", 3600.0)
    monkeypatch.setattr(events, "monotonic", _booted_seconds_ago(60.0))
    received: list[Any] = []
    first, both = threading.Event(), threading.Event()

    def collect(message: Any) -> None:
        received.extend(message if isinstance(message, (list, tuple)) else [message])
        (both if len(received) >= 2 else first).set()

    # processes=False: in-process transport, no sockets at all.
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        try:
            topic = f"{executor.event_topic}-close-test"
            executor.subscribe(topic, collect)
            # The first event goes at once (the worker was idle); the second, soon after, waits for a batch.
            executor.submit({"one": Task("one", _emit, topic, 1)}, ["one"])
            assert first.wait(ARRIVE_WITHIN), "the first event never arrived"
            executor.submit({"two": Task("two", _emit_then_close, topic, 2)}, ["two"])
            assert both.wait(ARRIVE_WITHIN), f"only {received} arrived"
        finally:
            executor.client.close()
    assert [event["n"] for event in received] == [1, 2]
