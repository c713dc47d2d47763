"""Errors raised to users, and the ``Skip`` signal.

::

    OrchestratorError                      (root, from executors.errors)
    ├── ExecutorError
    │   └── SchedulerUnreachable           (also ConnectionError)
    ├── FlowRunFailed                      a flow run ended Failed or Crashed
    ├── FlowDefinitionError (TypeError)    the flow or task API was misused
    ├── TaskRunNotCompleted (RuntimeError) asked a non-completed task run for its value
    ├── TaskTimedOut (TimeoutError)        a task ran past its timeout
    ├── UnpicklableValue (TypeError)       an argument or result cannot leave its process
    └── Skip                               raised by a task to mark itself Skipped

Parameter errors are pydantic ``ValidationError``s titled with the flow's name.
Every error pickles, so it survives the trip from a worker to the driver.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from executors.errors import ExecutorError, OrchestratorError, SchedulerUnreachable

if TYPE_CHECKING:
    from .states import ErrorInfo, State

__all__ = [
    "ExecutorError",
    "FlowDefinitionError",
    "FlowRunFailed",
    "OrchestratorError",
    "SchedulerUnreachable",
    "Skip",
    "TaskRunNotCompleted",
    "TaskTimedOut",
    "UnpicklableValue",
]


class FlowDefinitionError(OrchestratorError, TypeError):
    """Raised when a flow or task is used in a way the API does not allow; the message says how to fix it."""


class Skip(OrchestratorError):
    """Raise inside a task to end it Skipped with the given reason; dependents then skip too."""

    def __init__(self, reason: str = "skipped by the task") -> None:
        super().__init__(reason)
        self.reason = reason


class TaskTimedOut(OrchestratorError, TimeoutError):
    """Raised (and stored in the TimedOut state) when a task runs past its ``timeout``.

    Raise the timeout, or make the task finish sooner; a blocking call keeps
    its thread busy until it returns, but the worker carries on with other tasks.
    """

    def __init__(self, task: str, timeout: float) -> None:
        message = (
            f"task {task!r} ran past its timeout of {timeout:g} s and was abandoned; "
            "raise timeout= or make the task finish sooner"
        )
        super().__init__(message)
        self.task, self.timeout = task, timeout

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.task, self.timeout))


class UnpicklableValue(OrchestratorError, TypeError):
    """Raised when a task's argument or result cannot be pickled, so it cannot cross processes.

    Return or pass plain data (numbers, strings, arrays, frames), or open the
    resource (file, connection, lock) inside the task that uses it.
    """

    def __init__(self, task: str, what: str, type_name: str, reason: str) -> None:
        message = (
            f"task {task!r}: its {what} of type {type_name!r} cannot be pickled ({reason}); "
            "pass plain data instead, or create the object inside the task that uses it"
        )
        super().__init__(message)
        self.task, self.what, self.type_name, self.reason = task, what, type_name, reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.task, self.what, self.type_name, self.reason))


class TaskRunNotCompleted(OrchestratorError, RuntimeError):
    """Raised when asking for the value of a task run that did not complete (Skipped, Cancelled, Crashed...)."""

    def __init__(self, state: State, task: str | None = None) -> None:
        who = f"task {task!r}" if task else "the task run"
        detail = f": {state.message}" if state.message else ""
        if state.error is not None and not detail:
            detail = f": {state.error.type}: {state.error.message}"
        message = f"{who} ended {state.type.value}{detail}, so it has no value"
        super().__init__(message)
        self.state, self.task = state, task

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.state, self.task))


class FlowRunFailed(OrchestratorError):
    """Raised by a flow call whose run ended Failed or Crashed.

    ``failures`` maps each failed task run's name to its ``ErrorInfo``; the first
    task exception is chained as ``__cause__`` and all of them are in
    ``exceptions``. Call the flow with ``return_state=True`` to get the
    ``FlowRun`` with every task run's state instead of this error.
    """

    def __init__(
        self,
        flow: str,
        run_id: str,
        failures: Sequence[tuple[str, ErrorInfo | None, str]],
        exceptions: Sequence[BaseException] = (),
        reason: str = "",
    ) -> None:
        shown = "; ".join(
            f"{name} {state}" + (f" ({err.type}: {err.message})" if err else "") for name, err, state in failures[:10]
        )
        more = f" and {len(failures) - 10} more" if len(failures) > 10 else ""
        what = reason or f"{len(failures)} task run(s) failed: {shown}{more}"
        message = (
            f"flow run {run_id} of {flow!r} failed: {what}. "
            "Call the flow with return_state=True to inspect every task run"
        )
        super().__init__(message)
        self.flow, self.run_id, self.reason = flow, run_id, reason
        self.failures = list(failures)
        self.exceptions = list(exceptions)
        if self.exceptions:
            self.__cause__ = self.exceptions[0]

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.flow, self.run_id, self.failures, self.exceptions, self.reason))
