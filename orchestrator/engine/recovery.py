"""Recovering the states of task runs whose final event was lost with their worker.

Workers send state events in batches (``executors.events``): a worker killed
within its batch window takes along the final events of tasks it had already
finished. Dask itself lost nothing: their dependents ran, or their results
live on elsewhere. Calling those task runs Crashed would fail a run whose
value is right, so before the engine marks unreported task runs Crashed
(``RunEngine._mark_unreported``) it recovers what the cluster can prove, and
only that, exact evidence first:

1. **Held.** Dask still holds the task's result: a replica a dependent on
   another worker fetched, or a key user code still wants. That result is
   the task's final ``State``, so it gives the exact event: state, start,
   end, attempt, worker, error. It is read where it lies
   (``Executor.peek``); only the few fields travel, never the data.
2. **Consumed.** A dependent passed its trigger (it ran its body, or came out
   successful), and that trigger is ``all_successful`` over this upstream
   (no ``allow_failure``, no lenient trigger): then this upstream completed.
   It is marked Completed, with the end the scheduler logged for it
   (``Executor.finished_at``); its start and worker are gone with the worker,
   and the message says it was recovered and how. Recovered dependents count
   as evidence for their own upstreams, so a whole chain on the lost worker
   is recovered from the one dependent that reported.

Whatever neither proves stays unreported, and the engine marks it Crashed.
Recovered events go through the engine's event path, so the run store
records them like any other.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from executors import Executor

from ..records.runs import FlowRun, TaskRun
from ..records.states import SUCCESS_TYPES, TERMINAL_TYPES, State, StateType

__all__ = ["recover_unreported", "state_fields"]

_V = TypeVar("_V")
_log = logging.getLogger("daskflow.engine")


def state_fields(value: Any) -> dict[str, Any] | None:
    """On a worker: the event fields of a held task result (a ``State``), without its data."""
    if not isinstance(value, State) or value.type not in TERMINAL_TYPES:
        return None
    fields: dict[str, Any] = {
        "state": value.type.value,
        "ts": value.end,
        "start": value.start,
        "end": value.end,
        "attempt": value.attempt,
        "worker": value.worker,
        "message": value.message,
        "error": value.error.as_dict() if value.error is not None else None,
    }
    if isinstance(value.data, BaseException):
        fields["exc"] = pickle.dumps(value.data)
    if value.type in SUCCESS_TYPES and isinstance(value.data, (list, tuple)):
        fields["len"] = len(value.data)
    return fields


def recover_unreported(
    run: FlowRun,
    executor: Executor,
    lenient: Collection[str],
    apply: Callable[[Mapping[str, Any]], None],
) -> int:
    """Apply an event for each unreported task run of ``run`` the cluster proves finished; how many.

    ``lenient`` holds the keys whose trigger does not prove every upstream
    successful (a non-default trigger, or ``allow_failure`` arguments).
    ``apply`` is the engine's event handler.
    """
    task_runs = run.task_runs
    unreported = [key for key, tr in task_runs.items() if tr.state not in TERMINAL_TYPES]
    if not unreported:
        return 0
    recovered = 0
    for key, fields in _ask(lambda: executor.peek(unreported, state_fields)).items():
        if fields is not None:
            apply({**_identity(run.id, task_runs[key]), **fields})
            recovered += 1
    proven = _consumed(run, [k for k in unreported if task_runs[k].state not in TERMINAL_TYPES], lenient)
    if proven:
        ends = _ask(lambda: executor.finished_at(list(proven)))
        for key, dependent in proven.items():
            end = ends.get(key)
            message = (
                f"recovered: its worker was lost before reporting, and {task_runs[dependent].name!r} ran on its "
                "successful result; start and worker unknown"
            )
            event = {
                **_identity(run.id, task_runs[key]),
                "state": StateType.COMPLETED.value,
                "ts": end if end is not None else task_runs[dependent].start,
                "start": None,
                "end": end,
                "attempt": 1,
                "worker": None,
                "message": message,
                "error": None,
            }
            apply(event)
            recovered += 1
    return recovered


def _consumed(run: FlowRun, unreported: list[str], lenient: Collection[str]) -> dict[str, str]:
    """Each unreported key a dependent proves completed, with that dependent (downstream first)."""
    if not unreported:
        return {}
    task_runs = run.task_runs
    waiting = set(unreported)
    dependents: dict[str, list[str]] = {}
    for key, upstreams in run.edges.items():
        if key in lenient:
            continue
        for upstream in upstreams:
            if upstream in waiting:
                dependents.setdefault(upstream, []).append(key)
    proven: dict[str, str] = {}

    def passed(key: str) -> bool:
        if key in proven:
            return True  # a recovered upstream of a strict dependent: it completed
        tr = task_runs.get(key)
        return tr is not None and _passed_trigger(tr)

    changed = True
    while changed:
        changed = False
        for key in list(waiting):
            witness = next((d for d in dependents.get(key, ()) if passed(d)), None)
            if witness is not None:
                proven[key] = witness
                waiting.discard(key)
                changed = True
    return proven


def _passed_trigger(tr: TaskRun) -> bool:
    """Whether a task run got past its trigger: it came out successful, or its body ran (attempt 1 on).

    The state layer counts attempts only once the trigger said yes; a trigger's refusal or error is attempt 0.
    """
    return tr.state in SUCCESS_TYPES or tr.attempt >= 1


def _ask(question: Callable[[], dict[str, _V]]) -> dict[str, _V]:
    """The cluster's answer, or nothing if it cannot answer (then those task runs stay unreported)."""
    try:
        return question()
    except Exception as exc:  # noqa: BLE001 - recovery is best effort; the fallback is Crashed
        _log.warning("could not ask the cluster about task runs that never reported: %s: %s", type(exc).__name__, exc)
        return {}


def _identity(run_id: str, tr: TaskRun) -> dict[str, Any]:
    return {"run": run_id, "key": tr.key, "task": tr.task, "name": tr.name}
