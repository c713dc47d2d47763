"""What the dashboard's reads take and return: filters, pages, change batches and task-run columns.

Readers that show thousands of rows (a live page, a 100k-task run) want
columns and ids rather than one object per row, so these are shaped for
that: ``TaskColumns`` holds one list per field, and every batch of changes
says the highest row id it covers, which is the cursor a reader resumes
from. Row ids of ``task_transitions``, ``logs`` and ``flow_transitions``
only ever grow (writers are serialised and nothing is deleted), so "after
id N" never skips a row that commits later with a smaller id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

from .records import FlowRunRow

__all__ = [
    "ERROR_LEVELS",
    "FAILED_STATES",
    "ErrorGroup",
    "FlowChanges",
    "GraphNode",
    "LogFilter",
    "LogLine",
    "LogWindow",
    "RunFilter",
    "RunInfo",
    "RunsPage",
    "TaskColumns",
]

#: The task-run states that count as failures (Crashed is the infrastructure's).
FAILED_STATES: Final = ("Failed", "TimedOut", "Crashed")
#: Log levels "jump to first error" looks for.
ERROR_LEVELS: Final = ("ERROR", "CRITICAL")


@dataclass(frozen=True, slots=True)
class RunFilter:
    """Which flow runs a list shows; every field left empty matches everything.

    ``since`` and ``until`` bound the start time (``since <= started < until``).
    ``params`` pairs a parameter name with a value as a person types it: ``3``
    matches the number 3 and the string "3", ``x`` the string "x".
    """

    flow: str | None = None
    states: tuple[str, ...] = ()
    since: float | None = None
    until: float | None = None
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class RunsPage:
    """One page of flow runs, newest first; ``next_cursor`` fetches the page after it (None: the last)."""

    runs: list[FlowRunRow]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Where a flow run ran and how to run it again, as far as its driver knew."""

    scheduler: str | None
    dashboard: str | None
    executor: str | None
    external_scheduler: bool
    entrypoint: str | None


@dataclass(frozen=True, slots=True)
class FlowChanges:
    """The flow runs whose state changed after a transition id, as they are now.

    ``matching`` holds the ids of those that pass the reader's filter;
    ``last_id`` is the highest flow transition id covered (the cursor);
    ``more`` says the limit cut the batch short.
    """

    runs: list[FlowRunRow]
    matching: frozenset[str]
    last_id: int
    more: bool = False


@dataclass
class TaskColumns:
    """Task runs of one flow run as columns, one list per field, row by row.

    ``ids`` are the rows' stable ids in the store (the order the store first
    saw the task runs); the rows need not come in that order. ``retries`` pairs a row id
    with the time of each Retrying transition (one per failed attempt).
    ``last_id`` is the highest task transition id these rows reflect;
    ``more`` says a limit cut a batch of changes short.
    """

    ids: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    starts: list[float | None] = field(default_factory=list)
    ends: list[float | None] = field(default_factory=list)
    attempts: list[int] = field(default_factory=list)
    workers: list[str | None] = field(default_factory=list)
    retries: list[tuple[int, float]] = field(default_factory=list)
    last_id: int = 0
    more: bool = False

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True, slots=True)
class GraphNode:
    """One node of a run's compiled graph: its key, task name, display name and upstream keys."""

    key: str
    task: str
    name: str
    upstream: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LogFilter:
    """Which log lines of a run to read; empty fields match everything.

    ``task`` matches as in ``RunStore.get_logs``: a task name, a display name
    or a key. ``search`` is a case-insensitive substring of the message.
    """

    levels: tuple[str, ...] = ()
    task: str | None = None
    search: str | None = None


@dataclass(frozen=True, slots=True)
class LogLine:
    """One stored log line with its row id (the cursor of live tails and pages)."""

    id: int
    key: str | None
    name: str | None
    level: str
    ts: float
    message: str


@dataclass(frozen=True, slots=True)
class LogWindow:
    """Some of a run's matching log lines, read in one snapshot with how many match in all.

    ``total`` counts the matching lines with an id up to ``last_id``, the
    run's last line then: a live tail continues after ``last_id``.
    """

    lines: list[LogLine]
    offset: int
    total: int
    last_id: int


@dataclass(frozen=True, slots=True)
class ErrorGroup:
    """Failed task runs of one task with the same error type and message shape.

    The shape is the message with its numbers masked, so ``cannot read part
    17`` and ``cannot read part 18`` are one group; ``message`` is the first
    one's text and ``messages`` counts the distinct texts.
    """

    task: str
    error_type: str
    shape: str
    message: str
    count: int
    messages: int
    states: tuple[str, ...]
    first_key: str
    first_name: str
    first_ts: float | None
    last_ts: float | None
