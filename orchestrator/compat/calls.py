"""What a compat task's worker calls: the user's function with Prefect's semantics around it.

``prefect_call(fn)`` wraps a task's function once, when the task is made; the
state layer then calls the wrapper once per attempt, on the worker. Around the
user's function it:

* passes an upstream given through ``allow_failure`` as its value, or as its
  exception when it failed (Prefect passes the exception), not as a State;
* runs an ``async def`` task's coroutine to completion, in a loop of its own
  (``run_coroutine``: on another thread when this one already runs a loop);
* turns Prefect 1 signals into outcomes: ``SUCCESS(result=...)`` completes with
  that result, ``LOOP``/``PAUSE`` fail with a message saying what to do
  (``SKIP`` and ``FAIL`` need nothing: they are daskflow's Skip and an error);
* turns a returned Prefect 3 state into its outcome: ``Completed(data=...)``
  gives ``data``, any other raises ``FailedRun`` with its message;
* calls Prefect 1 ``state_handlers(task, old_state, new_state)`` at each
  transition of the attempt (Running, then Success, Retrying or Failed); a
  handler may return a replacement state, which then decides the outcome.

The wrapper is a closure over the user's function with ``__wrapped__`` set, so
daskflow ships the user's module by value as for any task, and it keeps the
task in ``daskflow_task`` for the handlers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import inspect
from collections.abc import Callable, Coroutine
from typing import Any

from ..records.errors import FlowDefinitionError, Skip
from ..records.states import SUCCESS_TYPES, CompletedWith
from ..records.states import State as NativeState
from ..worker.run_logs import current_task_run
from .signals import LOOP, PAUSE, SUCCESS
from .states import (
    FailedRun,
    P1Failed,
    P1Pending,
    P1Retrying,
    P1Running,
    P1State,
    P1Success,
    State,
)

__all__ = ["prefect_call", "run_coroutine"]


def run_coroutine(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion: here if no loop runs in this thread, else on a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="daskflow-async") as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _as_argument(value: Any) -> Any:
    """An ``allow_failure`` upstream arrives as daskflow's State: its value, or its exception if it failed."""
    if isinstance(value, NativeState):
        if value.type in SUCCESS_TYPES:
            return value.data
        return value.data if isinstance(value.data, BaseException) else None
    return value


def _unsupported(signal: BaseException) -> FlowDefinitionError:
    what = "loop a task (LOOP)" if isinstance(signal, LOOP) else "pause for approval (PAUSE)"
    message = (
        f"daskflow cannot {what}, a Prefect 1 signal the task raised; loop inside the task's own code, "
        "or make the next step a task of its own"
    )
    return FlowDefinitionError(message)


def _transition(task: Any, old: P1State, new: P1State) -> P1State:
    """Call each Prefect 1 state handler; the last non-None return replaces the new state."""
    for handler in getattr(task, "state_handlers", ()):
        replaced = handler(task, old, new)
        if isinstance(replaced, P1State):
            new = replaced
    return new


def _settle(state: P1State) -> Any:
    """Make a (replaced) Prefect 1 state the attempt's outcome: its result, or its error raised."""
    if isinstance(state, P1Failed):
        error = state.result if isinstance(state.result, BaseException) else FailedRun(state.message or "failed")
        raise error
    return state.result


def prefect_call(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``fn`` with Prefect's call semantics; see the module docstring."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        args = tuple(_as_argument(a) for a in args)
        kwargs = {k: _as_argument(v) for k, v in kwargs.items()}
        task = call.daskflow_task  # type: ignore[attr-defined]
        handled = bool(getattr(task, "state_handlers", ()))
        if handled:
            _transition(task, P1Pending("Task run pending."), P1Running("Starting task run."))
        try:
            result = fn(*args, **kwargs)
            if inspect.iscoroutine(result):
                result = run_coroutine(result)
        except SUCCESS as signal:
            result = signal.result
        except (LOOP, PAUSE) as signal:
            raise _unsupported(signal) from signal
        except Skip:
            raise
        except Exception as exc:
            if not handled:
                raise
            retrying = _retries_left(task, exc)
            new = P1Retrying(f"Retrying: {exc!r}") if retrying else P1Failed(f"Unexpected error: {exc!r}", exc)
            replaced = _transition(task, P1Running("Starting task run."), new)
            if replaced is new:
                raise
            return _settle(replaced)
        if isinstance(result, State):
            if not result.is_completed():
                raise FailedRun(result.message or f"the task returned a {result.name} state")
            result = CompletedWith(result.data, result.message) if result.message else result.data
        if handled:
            replaced = _transition(task, P1Running("Starting task run."), P1Success("Task run succeeded.", result))
            result = _settle(replaced)
        return result

    call.daskflow_task = None  # type: ignore[attr-defined]  # set once the task exists
    return call


def _retries_left(task: Any, exc: BaseException) -> bool:
    context = current_task_run()
    attempt = context.attempt if context is not None else 1
    return bool(task.options.should_retry(exc, attempt))
