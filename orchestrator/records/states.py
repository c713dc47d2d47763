"""Task-run and flow-run states, and the one table of legal transitions.

A ``State`` is what every Dask key of a flow run holds: the state layer on the
worker returns one, downstream tasks receive their upstreams' ``State``s and
apply their trigger to them, and the driver only ever sees the small state
*events* (never the value) unless user code asks for a result.

``State`` is deliberately a plain ``__slots__`` class rather than a pydantic
model: one is built per task attempt on the hot path and must pickle cheaply.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "FAILED_TYPES",
    "TERMINAL_TYPES",
    "TRANSITIONS",
    "CompletedWith",
    "ErrorInfo",
    "IllegalTransition",
    "State",
    "StateType",
    "check_transition",
]


class StateType(str, enum.Enum):
    """The kind of a state. ``Cached`` is a Completed state; ``TimedOut`` a Failed one."""

    PENDING = "Pending"
    RUNNING = "Running"
    RETRYING = "Retrying"
    COMPLETED = "Completed"
    CACHED = "Cached"
    FAILED = "Failed"
    TIMED_OUT = "TimedOut"
    CRASHED = "Crashed"
    CANCELLED = "Cancelled"
    SKIPPED = "Skipped"

    def __str__(self) -> str:
        return self.value


S = StateType
TERMINAL_TYPES: Final[frozenset[StateType]] = frozenset(
    {S.COMPLETED, S.CACHED, S.FAILED, S.TIMED_OUT, S.CRASHED, S.CANCELLED, S.SKIPPED}
)
#: States that fail a flow run unless a downstream task handled them.
FAILED_TYPES: Final[frozenset[StateType]] = frozenset({S.FAILED, S.TIMED_OUT, S.CRASHED})
SUCCESS_TYPES: Final[frozenset[StateType]] = frozenset({S.COMPLETED, S.CACHED})

#: The legal moves. Terminal states have no way out: a rerun is a new run.
TRANSITIONS: Final[Mapping[StateType, frozenset[StateType]]] = {
    S.PENDING: frozenset({S.RUNNING, S.SKIPPED, S.CANCELLED, S.CRASHED, S.CACHED, S.FAILED}),
    S.RUNNING: frozenset({S.COMPLETED, S.FAILED, S.TIMED_OUT, S.RETRYING, S.CRASHED, S.CANCELLED, S.SKIPPED}),
    S.RETRYING: frozenset({S.RUNNING, S.CRASHED, S.CANCELLED}),
    **{t: frozenset() for t in TERMINAL_TYPES},
}


class IllegalTransition(ValueError):
    """Raised when code tries a state move the transitions table forbids; it is a bug."""

    def __init__(self, old: StateType, new: StateType) -> None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[old])) or "none (terminal)"
        message = f"cannot move from {old.value} to {new.value}; allowed from {old.value}: {allowed}"
        super().__init__(message)
        self.old, self.new = old, new

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.old, self.new))


def check_transition(old: StateType, new: StateType) -> StateType:
    """Return ``new`` if ``old -> new`` is legal, else raise ``IllegalTransition``."""
    if new not in TRANSITIONS[old]:
        raise IllegalTransition(old, new)
    return new


class ErrorInfo:
    """What went wrong, in a form that survives any process boundary."""

    __slots__ = ("message", "traceback", "type")

    def __init__(self, type: str, message: str, traceback: str = "") -> None:  # noqa: A002
        self.type = type
        self.message = message
        self.traceback = traceback

    def __reduce__(self) -> tuple[Any, ...]:
        return (ErrorInfo, (self.type, self.message, self.traceback))

    def __repr__(self) -> str:
        return f"ErrorInfo({self.type}: {self.message})"

    def as_dict(self) -> dict[str, str]:
        return {"type": self.type, "message": self.message, "traceback": self.traceback}


class State:
    """One state of a task run: its type, timing, attempt, worker, and value or error.

    ``data`` holds the task's return value for Completed states and the raised
    exception (when it pickles) for Failed ones. ``cache_key`` is the key its
    result is (or would be) persisted under (orchestrator.worker.cache): a
    downstream task's key takes it in place of the value.
    """

    __slots__ = ("attempt", "cache_key", "data", "end", "error", "key", "message", "start", "type", "worker")

    def __init__(
        self,
        type: StateType,  # noqa: A002
        data: Any = None,
        *,
        message: str | None = None,
        error: ErrorInfo | None = None,
        start: float | None = None,
        end: float | None = None,
        attempt: int = 0,
        worker: str | None = None,
        key: str | None = None,
        cache_key: str | None = None,
    ) -> None:
        self.type = type
        self.cache_key = cache_key
        self.key = key
        self.data = data
        self.message = message
        self.error = error
        self.start = start
        self.end = end
        self.attempt = attempt
        self.worker = worker

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_state,
            (
                self.type.value,
                self.data,
                self.message,
                self.error,
                self.start,
                self.end,
                self.attempt,
                self.worker,
                self.key,
                self.cache_key,
            ),
        )

    def __repr__(self) -> str:
        extra = f", message={self.message!r}" if self.message else ""
        return f"State({self.type.value}{extra})"

    @property
    def name(self) -> str:
        """The state's name, such as ``"Completed"`` (Prefect's ``state.name``)."""
        return self.type.value

    @property
    def is_final(self) -> bool:
        return self.type in TERMINAL_TYPES

    @property
    def is_completed(self) -> bool:
        return self.type in SUCCESS_TYPES

    @property
    def is_failed(self) -> bool:
        return self.type in FAILED_TYPES

    @property
    def is_skipped(self) -> bool:
        return self.type is S.SKIPPED

    def result(self) -> Any:
        """The value of a Completed state; raise the task's error for any other."""
        if self.type in SUCCESS_TYPES:
            return self.data
        if isinstance(self.data, BaseException):
            raise self.data
        from .errors import TaskRunNotCompleted

        raise TaskRunNotCompleted(self)


class CompletedWith:
    """What a task returns to complete with ``value`` and a message on its Completed state.

    The state layer unwraps it; Prefect-style tasks return ``Completed(message=...)``
    through it (orchestrator.compat).
    """

    __slots__ = ("message", "value")

    def __init__(self, value: Any, message: str | None) -> None:
        self.value, self.message = value, message


def _rebuild_state(
    type_value: str,
    data: Any,
    message: str | None,
    error: ErrorInfo | None,
    start: float | None,
    end: float | None,
    attempt: int,
    worker: str | None,
    key: str | None,
    cache_key: str | None = None,
) -> State:
    return State(
        StateType(type_value),
        data,
        message=message,
        error=error,
        start=start,
        end=end,
        attempt=attempt,
        worker=worker,
        key=key,
        cache_key=cache_key,
    )
