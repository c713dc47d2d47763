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
    ├── ResultStorageUnavailable (OSError) a worker cannot see or write the flow's result storage
    ├── ResumeError (ValueError)           a flow run cannot be resumed (unknown, another flow, running)
    └── Skip                               raised by a task to mark itself Skipped

    CacheKeyWarning (UserWarning)          a task call ran uncached: part of its key is not deterministic

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
    "CacheKeyWarning",
    "ExecutorError",
    "FlowDefinitionError",
    "FlowRunFailed",
    "OrchestratorError",
    "ResultStorageUnavailable",
    "ResumeError",
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


class CacheKeyWarning(UserWarning):
    """Warned once per task and run when a cached task's key cannot be made whole, so it ran uncached.

    The message names the task and the argument, global or closure variable
    whose value has no deterministic token (a lock, a connection, an open
    file). Pass plain data instead, or give the task a ``cache_key_fn``, or
    ``cache="inputs"`` to leave its code (and so its globals) out of the key.
    """


class ResultStorageUnavailable(OrchestratorError, OSError):
    """Raised, failing the run before its persisting tasks run, when a worker cannot use the result storage.

    A ``file://`` root must be a path every worker sees (a shared filesystem);
    otherwise set ``@flow(result_storage=...)`` to an fsspec URL every worker
    can reach, such as ``s3://bucket/prefix``.
    """

    def __init__(self, root: str, problems: dict[str, str]) -> None:
        shown = "; ".join(f"{where}: {why}" for where, why in sorted(problems.items())[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        message = (
            f"the result storage {root} cannot be used by every worker ({shown}{more}); "
            "point @flow(result_storage=...) at a path every worker sees, or at an fsspec URL they all reach"
        )
        super().__init__(message)
        self.root, self.problems = root, dict(problems)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.root, self.problems))


class ResumeError(OrchestratorError, ValueError):
    """Raised by ``flow.run(resume=RUN_ID)`` before anything runs when that run cannot be resumed.

    The message says why (no such run, a run of another flow, a run still
    going) and what to do; ``daskflow runs ls`` lists the runs.
    """
