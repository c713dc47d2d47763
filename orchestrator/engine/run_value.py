"""The value a flow run returns: its returned futures replaced by their results.

Only futures whose task runs succeeded are fetched, all in one ``gather``;
the others (failed, skipped, never finished) become None. If the gather
fails as a whole (a worker lost with one result), each result is fetched
alone, and the lost ones become None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from executors import Executor, Handle

from ..records.runs import TaskRun
from ..records.states import SUCCESS_TYPES, State
from .futures import TaskFuture, collect_futures, replace_futures

__all__ = ["resolve_returned"]


def resolve_returned(
    returned: Any,
    executor: Executor,
    task_runs: Mapping[str, TaskRun],
    handle_of: Callable[[TaskFuture[Any]], Handle],
) -> Any:
    """``returned`` with each of its futures replaced by its task's result, or None where there is none."""
    futures: list[TaskFuture[Any]] = []
    collect_futures(returned, futures)
    if not futures:
        return returned
    values: dict[str, Any] = {}
    done = [f for f in futures if task_runs[f.key].state in SUCCESS_TYPES]
    if not done:
        return replace_futures(returned, values)
    try:
        states = executor.gather([handle_of(f) for f in done])
    except Exception:  # noqa: BLE001 - fall back to one by one and leave the lost ones None
        states = []
        for f in done:
            try:
                states.append(handle_of(f).result())
            except Exception:  # noqa: BLE001
                states.append(None)
    for f, state in zip(done, states):
        values[f.key] = state.data if isinstance(state, State) else None
    return replace_futures(returned, values)
