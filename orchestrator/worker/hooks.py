"""State hooks: user functions called when a task or flow run reaches a state.

* Task hooks (``on_completion``, ``on_failure``, ``on_retry``) run on the
  worker, inside the state layer, right after the state is decided and
  before its event is emitted, so a hook has finished by the time the driver
  hears of the state (and so before the flow run ends). They travel pickled
  with the task in its ``TaskSpec``.
* Flow hooks (``on_completion``, ``on_failure``, ``on_crashed``) run on the
  driver once the run has ended (``orchestrator.authoring.flows``), through
  the same ``call_each``.

Every hook gets ``(task or flow, the run, the state)``. A hook that raises is
logged on the ``daskflow.hooks`` logger with its traceback, and the next hook
still runs: a hook never changes the outcome of the run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..records.runs import TaskRun
from ..records.states import State, StateType

if TYPE_CHECKING:
    from ..records.options import Hook
    from .serialization import TaskLike
    from .state_layer import TaskCall

__all__ = ["LOGGER", "call_each", "run_task_hooks"]

LOGGER = logging.getLogger("daskflow.hooks")

_TASK_HOOKS = {
    StateType.COMPLETED: "on_completion",
    StateType.CACHED: "on_completion",
    StateType.FAILED: "on_failure",
    StateType.TIMED_OUT: "on_failure",
    StateType.RETRYING: "on_retry",
}


def call_each(hooks: Sequence[Hook], owner: Any, run: Any, state: State, who: str) -> None:
    """Call every hook with ``(owner, run, state)``; one that raises is logged and the rest still run."""
    for hook in hooks:
        try:
            hook(owner, run, state)
        except Exception:
            name = getattr(hook, "__qualname__", repr(hook))
            LOGGER.exception("%s hook %s of %s raised; the run's outcome is unchanged", state.type.value, name, who)


def run_task_hooks(call: TaskCall, task: TaskLike, state: State, worker: str | None) -> None:
    """Run the task's hooks for ``state``, on the worker that ran it."""
    attribute = _TASK_HOOKS.get(state.type)
    hooks: Sequence[Hook] = getattr(task.options, attribute) if attribute else ()
    if not hooks:
        return
    task_run = TaskRun(call.key, task.name, call.name)
    task_run.state, task_run.start, task_run.end = state.type, state.start, state.end
    task_run.attempt, task_run.worker, task_run.message, task_run.error = (
        state.attempt,
        worker,
        state.message,
        state.error,
    )
    state.key, state.worker = call.key, worker
    call_each(hooks, task, task_run, state, f"task run {call.name!r}")
