"""Prefect-shaped states over daskflow's: Prefect 3's ``State`` and constructors, and Prefect 1's state classes.

Prefect 3 (``prefect.states``): one ``State`` class with a ``type``
(``StateType``), a ``name``, a ``message`` and ``data``, the predicates
``is_completed()``, ``is_failed()``... and ``result(raise_on_failure=True)``;
``Completed(...)``, ``Failed(...)`` and the other constructors make states
that a task or flow may return to set its own final state. ``from_native``
reads a daskflow ``State``: Retrying is a Running state named "Retrying",
TimedOut a Failed one named "TimedOut", and a task skipped because an
upstream failed is ``Pending`` named "NotReady", as in Prefect 3, whose
``result()`` raises ``UpstreamTaskError``.

Prefect 1 (``prefect.engine.state``): a class per state (``Success``,
``Failed``, ``TriggerFailed``, ``Skipped``, ``Mapped``...) whose subclass
relations carry the meaning (``Skipped`` is a ``Success``, ``TriggerFailed``
a ``Failed``), with ``is_successful()``, ``is_failed()``, ``.message`` and
``.result``. ``p1_from_native`` reads a daskflow task run: a task skipped
because its trigger said no is ``TriggerFailed``, as Prefect 1 reported it.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from typing import Any

from ..records.states import State as NativeState
from ..records.states import StateType as Native
from ..records.triggers import CONDITION_FALSE

__all__ = [
    "AwaitingRetry",
    "Cached",
    "Cancelled",
    "Completed",
    "Crashed",
    "CrashedRun",
    "Failed",
    "FailedRun",
    "Late",
    "P1State",
    "Paused",
    "Pending",
    "Retrying",
    "Running",
    "Scheduled",
    "State",
    "StateType",
    "UpstreamTaskError",
    "from_native",
    "p1_from_native",
]


class FailedRun(Exception):
    """Raised by ``result()`` of a Failed state that carries no exception (a returned ``Failed(...)``)."""


class CrashedRun(Exception):
    """Raised by ``result()`` of a Crashed state: the infrastructure failed, not the code."""


class UpstreamTaskError(Exception):
    """Raised by ``result()`` of a task that never ran because an upstream task did not complete."""


class StateType(str, enum.Enum):
    """Prefect 3's state types."""

    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"
    CRASHED = "CRASHED"
    PAUSED = "PAUSED"
    CANCELLING = "CANCELLING"


_FINAL = frozenset({StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED})
_UNSET: Any = object()


class State:
    """A Prefect 3 state; see the module docstring. ``data`` may be fetched on first use."""

    def __init__(
        self,
        type: StateType,  # noqa: A002 - Prefect's name
        name: str | None = None,
        message: str | None = None,
        data: Any = None,
        timestamp: float | None = None,
        fetch: Callable[[], Any] | None = None,
    ) -> None:
        self.type = StateType(type)
        self.name = name or self.type.value.title()
        self.message = message
        self.timestamp = time.time() if timestamp is None else timestamp
        self._data = data if fetch is None else _UNSET
        self._fetch = fetch

    @property
    def data(self) -> Any:
        if self._data is _UNSET:
            assert self._fetch is not None
            self._data = self._fetch()
        return self._data

    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_paused(self) -> bool:
        return self.type is StateType.PAUSED

    def is_final(self) -> bool:
        return self.type in _FINAL

    def result(self, raise_on_failure: bool = True, fetch: bool = True) -> Any:
        """The value of a Completed state; for others the exception, raised unless ``raise_on_failure=False``."""
        if self.type is StateType.COMPLETED:
            return self.data
        error = self.data if isinstance(self.data, BaseException) else self._error()
        if raise_on_failure and error is not None:
            raise error
        return error

    def _error(self) -> BaseException | None:
        if self.type is StateType.FAILED:
            return FailedRun(self.message or "the run failed")
        if self.type is StateType.CRASHED:
            return CrashedRun(self.message or "the run crashed")
        if self.type is StateType.PENDING and self.name == "NotReady":
            return UpstreamTaskError(self.message or "an upstream task did not complete")
        return None

    def __repr__(self) -> str:
        shown = "<not fetched>" if self._data is _UNSET else repr(self._data)
        return f"{self.name}(message={self.message!r}, type={self.type.value}, result={shown})"


def _constructor(state_type: StateType, default_name: str) -> Callable[..., State]:
    def make(message: str | None = None, data: Any = None, name: str | None = None, **_: Any) -> State:
        return State(state_type, name or default_name, message, data)

    make.__name__ = make.__qualname__ = default_name
    make.__doc__ = f"A {default_name} state (type {state_type.value}), to return from a task or flow."
    return make


Completed = _constructor(StateType.COMPLETED, "Completed")
Cached = _constructor(StateType.COMPLETED, "Cached")
Failed = _constructor(StateType.FAILED, "Failed")
Crashed = _constructor(StateType.CRASHED, "Crashed")
Cancelled = _constructor(StateType.CANCELLED, "Cancelled")
Pending = _constructor(StateType.PENDING, "Pending")
Running = _constructor(StateType.RUNNING, "Running")
Retrying = _constructor(StateType.RUNNING, "Retrying")
Scheduled = _constructor(StateType.SCHEDULED, "Scheduled")
Late = _constructor(StateType.SCHEDULED, "Late")
AwaitingRetry = _constructor(StateType.SCHEDULED, "AwaitingRetry")
Paused = _constructor(StateType.PAUSED, "Paused")

_P3_OF: dict[Native, tuple[StateType, str]] = {
    Native.PENDING: (StateType.PENDING, "Pending"),
    Native.RUNNING: (StateType.RUNNING, "Running"),
    Native.RETRYING: (StateType.RUNNING, "Retrying"),
    Native.COMPLETED: (StateType.COMPLETED, "Completed"),
    Native.CACHED: (StateType.COMPLETED, "Cached"),
    Native.FAILED: (StateType.FAILED, "Failed"),
    Native.TIMED_OUT: (StateType.FAILED, "TimedOut"),
    Native.CRASHED: (StateType.CRASHED, "Crashed"),
    Native.CANCELLED: (StateType.CANCELLED, "Cancelled"),
}


def _not_run_because_upstream(message: str | None) -> bool:
    return bool(message) and (message in ("upstream failed", "upstream skipped") or message.startswith("trigger "))  # type: ignore[union-attr]


def from_native(state: NativeState, fetch: Callable[[], Any] | None = None) -> State:
    """A daskflow ``State`` as Prefect 3 shows it; ``fetch`` gets a Completed state's value when asked."""
    data = state.data
    if state.type is Native.SKIPPED:
        if _not_run_because_upstream(state.message):
            return State(StateType.PENDING, "NotReady", f"upstream task did not complete ({state.message})", None,
                         state.end)  # fmt: skip
        return State(StateType.COMPLETED, "Skipped", state.message, None, state.end)
    kind, name = _P3_OF[state.type]
    if kind is StateType.COMPLETED and fetch is not None and data is None:
        return State(kind, name, state.message, timestamp=state.end, fetch=fetch)
    return State(kind, name, state.message, data, state.end)


# -- Prefect 1 -----------------------------------------------------------------------------


class P1State:
    """Prefect 1's base state: a message and a result, and predicates by subclass."""

    def __init__(self, message: str | None = None, result: Any = None) -> None:
        self.message = message
        self.result = result

    def is_pending(self) -> bool:
        return isinstance(self, P1Pending)

    def is_running(self) -> bool:
        return isinstance(self, P1Running)

    def is_finished(self) -> bool:
        return isinstance(self, P1Finished)

    def is_successful(self) -> bool:
        return isinstance(self, P1Success)

    def is_failed(self) -> bool:
        return isinstance(self, P1Failed)

    def is_skipped(self) -> bool:
        return isinstance(self, P1Skipped)

    def is_mapped(self) -> bool:
        return isinstance(self, P1Mapped)

    def is_retrying(self) -> bool:
        return isinstance(self, P1Retrying)

    def is_cached(self) -> bool:
        return isinstance(self, P1Cached)

    @property
    def name(self) -> str:
        return _P1_NAMES.get(type(self), type(self).__name__)

    def __repr__(self) -> str:
        return f'<{self.name}: "{self.message}">' if self.message else f"<{self.name}>"


class P1Pending(P1State): ...


class P1Retrying(P1Pending): ...


class P1Running(P1State): ...


class P1Finished(P1State): ...


class P1Success(P1Finished): ...


class P1Cached(P1Success): ...


class P1Skipped(P1Success): ...


class P1Mapped(P1Success):
    """A mapped task: ``map_states`` holds one state per item, ``result`` their results."""

    def __init__(self, message: str | None = None, result: Any = None, map_states: list[P1State] | None = None):
        super().__init__(message, result)
        self.map_states = list(map_states or ())

    def is_successful(self) -> bool:
        return all(s.is_successful() for s in self.map_states)


class P1Failed(P1Finished): ...


class P1TriggerFailed(P1Failed): ...


class P1TimedOut(P1Failed): ...


class P1Cancelled(P1Finished): ...


_P1_NAMES = {
    P1State: "State",
    P1Pending: "Pending",
    P1Retrying: "Retrying",
    P1Running: "Running",
    P1Finished: "Finished",
    P1Success: "Success",
    P1Cached: "Cached",
    P1Skipped: "Skipped",
    P1Mapped: "Mapped",
    P1Failed: "Failed",
    P1TriggerFailed: "TriggerFailed",
    P1TimedOut: "TimedOut",
    P1Cancelled: "Cancelled",
}


def p1_from_native(
    state: Native, message: str | None, value: Any = None, error: BaseException | None = None
) -> P1State:
    """A daskflow task run's state as Prefect 1 reported it; ``value`` (or ``error``) is its result."""
    if state in (Native.COMPLETED,):
        return P1Success("Task run succeeded.", value)
    if state is Native.CACHED:
        return P1Cached("Task run succeeded from cache.", value)
    if state is Native.SKIPPED:
        if message == "upstream failed":
            return P1TriggerFailed('Trigger was "all_successful" but some of the upstream tasks failed.', None)
        if message and message.startswith("trigger "):
            name = message.removeprefix("trigger ").removesuffix(" not met")
            return P1TriggerFailed(f'Trigger was "{name}" but it was not met by the upstream states.', None)
        if message == "upstream skipped":
            return P1Skipped("Upstream task was skipped; if this was not the intended behavior, consider changing "
                             "`skip_on_upstream_skip=False` for this task.")  # fmt: skip
        if message == CONDITION_FALSE:
            return P1Skipped("Provided value did not match the case condition.")
        return P1Skipped(message)
    if state is Native.TIMED_OUT:
        return P1TimedOut("Task timed out during execution.", error)
    if state is Native.FAILED:
        shown = str(error) if error is not None and getattr(error, "is_prefect_signal", False) else None
        return P1Failed(shown or f"Unexpected error: {error!r}", error)
    if state is Native.CRASHED:
        return P1Failed(message, error)
    if state is Native.CANCELLED:
        return P1Cancelled(message)
    if state is Native.RETRYING:
        return P1Retrying(message)
    if state is Native.RUNNING:
        return P1Running(message)
    return P1Pending(message)
