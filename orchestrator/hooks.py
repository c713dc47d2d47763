"""State hooks: user functions called when a task or flow run reaches a state.

* Task hooks (``on_completion``, ``on_failure``, ``on_retry``) run on the
  worker, inside the state layer, right after the state is decided and
  before its event is emitted, so a hook has finished by the time the driver
  hears of the state (and so before the flow run ends). They travel pickled
  with the task's options in its ``TaskSpec``.
* Flow hooks (``on_completion``, ``on_failure``, ``on_crashed``) run on the
  driver once the run has ended.

Every hook gets ``(task or flow, the run, the state)``. A hook that raises is
logged on the ``daskflow.hooks`` logger with its traceback, and the next hook
still runs: a hook never changes the outcome of the run.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .runs import TaskRun
from .states import State, StateType

if TYPE_CHECKING:
    from .flows import Flow
    from .options import Hook, TaskOptions
    from .runs import FlowRun
    from .state_layer import TaskCall

__all__ = ["LOGGER", "run_flow_hooks", "run_task_hooks"]

LOGGER = logging.getLogger("daskflow.hooks")

_TASK_HOOKS = {
    StateType.COMPLETED: "on_completion",
    StateType.CACHED: "on_completion",
    StateType.FAILED: "on_failure",
    StateType.TIMED_OUT: "on_failure",
    StateType.RETRYING: "on_retry",
}
_FLOW_HOOKS = {
    StateType.COMPLETED: "on_completion",
    StateType.FAILED: "on_failure",
    StateType.TIMED_OUT: "on_failure",
    StateType.CRASHED: "on_crashed",
}


def _call_each(hooks: Sequence[Hook], owner: Any, run: Any, state: State, who: str) -> None:
    for hook in hooks:
        try:
            hook(owner, run, state)
        except Exception:
            name = getattr(hook, "__qualname__", repr(hook))
            LOGGER.exception("%s hook %s of %s raised; the run's outcome is unchanged", state.type.value, name, who)


def run_task_hooks(call: TaskCall, options: TaskOptions, state: State, worker: str | None) -> None:
    """Run the task's hooks for ``state``, on the worker that ran it."""
    attribute = _TASK_HOOKS.get(state.type)
    hooks: Sequence[Hook] = getattr(options, attribute) if attribute else ()
    if not hooks:
        return
    from .tasks import Task

    fn = call.spec.load()[0]
    task_run = TaskRun(call.key, options.name, call.name)
    task_run.state, task_run.start, task_run.end = state.type, state.start, state.end
    task_run.attempt, task_run.worker, task_run.message, task_run.error = (
        state.attempt,
        worker,
        state.message,
        state.error,
    )
    state.key, state.worker = call.key, worker
    _call_each(hooks, Task(fn, options), task_run, state, f"task run {call.name!r}")


def run_flow_hooks(flow: Flow[Any, Any], run: FlowRun) -> None:
    """Run the flow's hooks for the final state of ``run``, on the driver."""
    attribute = _FLOW_HOOKS.get(run.state)
    hooks: Sequence[Hook] = getattr(flow.options, attribute) if attribute else ()
    if hooks:
        state = State(run.state, run.value, message=run.message, start=run.start, end=run.end)
        _call_each(hooks, flow, run, state, f"flow run {run.flow_name!r} ({run.id})")
