"""The shapes of what goes into the run store and what comes out of it.

Writers hand the store plain dicts (``TaskEvent``, ``LogEvent``), because events
are produced on workers and travel msgpack-encoded; the ``TypedDict``s below
only document and type-check that wire format. Readers get frozen dataclasses.

State names are plain strings here rather than ``orchestrator.records.states.StateType``
so that the store stays a leaf package that any process (a CLI, a dashboard, a
future server) can import cheaply; the names are the ``StateType`` values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, TypedDict

__all__ = [
    "STATES",
    "STATE_ORDER",
    "TERMINAL_STATES",
    "FlowRunRow",
    "LogEvent",
    "LogRow",
    "TaskError",
    "TaskEvent",
    "TaskRunRow",
    "TransitionRow",
]

#: Every state name, in the order of ``StateType`` (readers that index states rely on it).
STATE_ORDER: Final[tuple[str, ...]] = (
    "Pending",
    "Running",
    "Retrying",
    "Completed",
    "Cached",
    "Failed",
    "TimedOut",
    "Crashed",
    "Cancelled",
    "Skipped",
)
STATES: Final[frozenset[str]] = frozenset(STATE_ORDER)
TERMINAL_STATES: Final[frozenset[str]] = frozenset(
    {"Completed", "Cached", "Failed", "TimedOut", "Crashed", "Cancelled", "Skipped"}
)


class TaskError(TypedDict):
    """An exception as a task event carries it: type name, message and traceback text."""

    type: str
    message: str
    traceback: str


class _TaskEventRequired(TypedDict):
    run: str
    key: str
    state: str
    ts: float


class TaskEvent(_TaskEventRequired, total=False):
    """One task state change as a worker emits it; needs ``run``, ``key``, ``state``, ``ts``."""

    task: str
    name: str
    start: float | None
    end: float | None
    attempt: int
    worker: str | None
    message: str | None
    error: TaskError | None
    #: A persisted result this task run wrote or read back: key, location, checksum, size, created, expires.
    result: dict[str, Any]
    #: How a Cached task run got its result: "cache" or "resume".
    hit: str


class _LogEventRequired(TypedDict):
    run: str
    ts: float
    message: str


class LogEvent(_LogEventRequired, total=False):
    """One log line; ``key`` and ``name`` are None for the flow's own logs."""

    key: str | None
    name: str | None
    level: str


@dataclass(frozen=True, slots=True)
class FlowRunRow:
    """A flow run as stored; ``ended`` is None until it reaches a terminal state.

    ``schedule_id`` and ``tick`` mark the run of a schedule's tick (``daskflow serve``).
    """

    run_id: str
    flow_name: str
    state: str
    parameters: dict[str, Any]
    started: float
    ended: float | None
    heartbeat: float | None
    message: str | None
    host: str | None
    pid: int | None
    schedule_id: str | None = None
    tick: float | None = None


@dataclass(frozen=True, slots=True)
class TaskRunRow:
    """A task run's latest state; the ``error_*`` fields belong to that state only."""

    run_id: str
    key: str
    task: str
    name: str
    state: str
    start: float | None
    end: float | None
    attempt: int
    worker: str | None
    message: str | None
    error_type: str | None
    error_message: str | None
    traceback: str | None


@dataclass(frozen=True, slots=True)
class LogRow:
    """One stored log line."""

    run_id: str
    key: str | None
    name: str | None
    level: str
    ts: float
    message: str


@dataclass(frozen=True, slots=True)
class TransitionRow:
    """One recorded state change; ``key`` and ``attempt`` are None for a flow run's own changes."""

    run_id: str
    key: str | None
    state: str
    ts: float
    attempt: int | None
    worker: str | None
    message: str | None
    error_type: str | None
    error_message: str | None
    traceback: str | None
