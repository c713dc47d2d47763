"""``RunStore``: the interface every run-store backend implements.

The orchestrator, the CLI and the dashboard talk only to this protocol, so a
server database can replace SQLite later without touching them. Backends must
be safe to call from several threads of one process (the driver's event
recorder runs on its own thread) and from several processes at once.

Conventions shared by every backend:

* Timestamps are floats, seconds since the epoch; the caller passes them in,
  so the store never reads a clock and tests never sleep.
* States are the ``orchestrator.records.states.StateType`` values as strings.
* A task run's stored state only moves forward in time: an event older than
  the stored one is kept as a transition but does not change the task run,
  and a non-terminal event never replaces a terminal state.
* Failures raise ``StoreError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from .limits import LimitTable
from .liveness import DriverIdentity
from .outbox import AttemptRow, ClaimedNotification, NotificationRow
from .read_models import (
    ErrorGroup,
    FlowChanges,
    GraphNode,
    LogFilter,
    LogLine,
    LogWindow,
    RunFilter,
    RunInfo,
    RunsPage,
    TaskColumns,
)
from .records import FlowRunRow, LogRow, TaskRunRow, TransitionRow
from .results import ResultIndex
from .schedule_book import LeaseRow, ScheduleRow, TickClaim, TickRow

__all__ = ["Outbox", "RunQueries", "RunStore", "ScheduleBook"]


class ScheduleBook(Protocol):
    """Schedules, claimed ticks and the serve lease (see orchestrator.history.store.schedule_book)."""

    def register(self, fields: Mapping[str, Any], now: float) -> ScheduleRow: ...

    def claim_ticks(
        self,
        schedule: ScheduleRow,
        claims: Sequence[TickClaim],
        cursor: float,
        skipped: int,
        now: float,
        owner: str,
        rules: Sequence[Mapping[str, Any]] = (),
    ) -> list[TickClaim]: ...

    def fail_pending(self, run_id: str, now: float, message: str) -> bool: ...

    def pending_runs(self, schedule_ids: Sequence[str]) -> list[tuple[str, str, float]]: ...

    def get(self, schedule_id: str) -> ScheduleRow | None: ...

    def all(self) -> list[ScheduleRow]: ...

    def ticks(self, schedule_id: str, limit: int = 0) -> list[TickRow]: ...

    def acquire_lease(
        self, owner: str, pid: int, host: str, now: float, ttl: float, holder_gone: Callable[[LeaseRow], bool]
    ) -> tuple[bool, LeaseRow | None]: ...

    def release_lease(self, owner: str) -> None: ...

    def lease(self) -> LeaseRow | None: ...


class Outbox(Protocol):
    """The notification outbox (see orchestrator.history.store.outbox)."""

    def claim(
        self, now: float, owner: str, run_ids: Sequence[str] | None = None, limit: int = 50, due_only: bool = True
    ) -> list[ClaimedNotification]: ...

    def record_attempt(
        self, claimed: ClaimedNotification, owner: str, now: float, ok: bool, status: str | None, error: str | None
    ) -> str: ...

    def defer(self, notification: str, until: float, note: str) -> None: ...

    def enqueue_proactive(self, now: float) -> list[str]: ...

    def next_due(self, run_ids: Sequence[str] | None = None, exclude: Sequence[str] = ()) -> float | None: ...

    def recent(
        self, run_id: str | None = None, status: str | None = None, limit: int = 50
    ) -> list[NotificationRow]: ...

    def attempts(self, notification: str) -> list[AttemptRow]: ...


@runtime_checkable
class RunQueries(Protocol):
    """The reads of pages that show many runs and big runs live (the dashboard): ``RunStore.queries``.

    Lists page by cursor; live views ask for what changed after a row id
    (``TaskColumns.last_id``, ``FlowChanges.last_id``, ``LogLine.id``), which
    only ever grows, so resuming from the last id seen misses nothing and
    repeats nothing.
    """

    def page_flow_runs(self, where: RunFilter, cursor: str | None = None, limit: int = 50) -> RunsPage:
        """Flow runs matching ``where``, newest first, ``limit`` after ``cursor`` (an earlier page's)."""
        ...

    def count_flow_runs(self, where: RunFilter) -> dict[str, int]:
        """How many runs match ``where`` in each state (ignoring its ``states``)."""
        ...

    def flow_names(self) -> list[str]:
        """Every flow name the store has runs of, sorted."""
        ...

    def flow_runs(self, run_ids: Sequence[str]) -> list[FlowRunRow]:
        """The runs with these exact ids, in the order given (unknown ids are left out)."""
        ...

    def run_info(self, run_id: str) -> RunInfo | None:
        """Where the run ran (scheduler, Dask dashboard, executor) and its entrypoint; None if no such run."""
        ...

    def last_flow_transition(self) -> int:
        """The highest flow transition id (0 for an empty store)."""
        ...

    def flow_changes(self, after: int, where: RunFilter | None = None, limit: int = 1_000) -> FlowChanges:
        """The runs with flow transitions after id ``after``, as they are now, and which match ``where``."""
        ...

    def task_columns(self, run_id: str) -> TaskColumns:
        """Every task run of ``run_id`` as columns (in no particular order), with the transition id they reflect."""
        ...

    def task_changes(self, run_id: str, after: int, limit: int = 5_000) -> TaskColumns:
        """The task runs changed by the run's transitions after id ``after`` (at most ``limit`` of them)."""
        ...

    def task_run(self, run_id: str, key: str) -> TaskRunRow | None:
        """One task run by its key."""
        ...

    def task_key(self, run_id: str, row_id: int) -> str | None:
        """The key of the task run with store row id ``row_id`` (``TaskColumns.ids``)."""
        ...

    def task_transitions(self, run_id: str, key: str) -> list[TransitionRow]:
        """Every state change of one task run, in the order recorded."""
        ...

    def last_task_transition(self, run_id: str) -> int:
        """The highest task transition id of ``run_id`` (0 if none)."""
        ...

    def graph(self, run_id: str) -> list[GraphNode]:
        """The run's compiled graph, in flush order (empty if none was recorded)."""
        ...

    def graph_flushes(self, run_id: str) -> int:
        """How many flushes of the run's graph are recorded (changes when the graph grows)."""
        ...

    def graph_totals(self, run_id: str) -> dict[str, int]:
        """How many nodes of each task name the run's graph has so far."""
        ...

    def error_groups(self, run_id: str) -> list[ErrorGroup]:
        """Failed task runs grouped by task, error type and message shape; biggest group first."""
        ...

    def count_logs(self, run_id: str, where: LogFilter) -> int:
        """How many of the run's log lines match ``where``."""
        ...

    def log_page(self, run_id: str, where: LogFilter, offset: int, limit: int) -> list[LogLine]:
        """The matching lines ``offset`` to ``offset + limit``, oldest first."""
        ...

    def log_window(self, run_id: str, where: LogFilter, offset: int, limit: int) -> LogWindow:
        """The matching lines ``offset`` to ``offset + limit``, the total and the last line id, in one snapshot."""
        ...

    def logs_after(self, run_id: str, where: LogFilter, after: int, limit: int = 5_000) -> list[LogLine]:
        """The matching lines with an id above ``after``, oldest first."""
        ...

    def first_error_offset(self, run_id: str, where: LogFilter) -> int | None:
        """The offset among the matching lines of the first ERROR or CRITICAL one."""
        ...

    def last_log(self, run_id: str) -> int:
        """The highest log line id of ``run_id`` (0 if none)."""
        ...

    def log_levels(self, run_id: str) -> dict[str, int]:
        """How many log lines of each level the run has."""
        ...

    def data_version(self) -> int:
        """A number that changes whenever another writer committed since the last call on this store object."""
        ...


@runtime_checkable
class RunStore(Protocol):
    """Records flow runs, task runs, their state transitions and logs, and reads them back.

    ``results`` holds what task events say of persisted results and resumed
    runs; ``limits`` the tag concurrency limits.
    """

    @property
    def results(self) -> ResultIndex:
        """The persisted results and resume links task events recorded (orchestrator.history.store.results)."""
        ...

    @property
    def limits(self) -> LimitTable:
        """The tag concurrency limits (orchestrator.history.store.limits)."""
        ...

    # -- writers ---------------------------------------------------------------

    def create_flow_run(
        self,
        run_id: str,
        flow_name: str,
        parameters: Mapping[str, Any],
        started: float,
        state: str = "Running",
        host: str | None = None,
        pid: int | None = None,
        schedule_id: str | None = None,
        tick: float | None = None,
        notify: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Record a new flow run in ``state``; its heartbeat starts at ``started``.

        ``schedule_id`` and ``tick`` mark a scheduled run; recording one that
        ``serve`` claimed (Pending) Running starts it, once only
        (``RunAlreadyStarted``). ``notify`` is the run's notify rules, stored
        with it; every later state change enqueues the notifications it calls for.
        """
        ...

    @property
    def schedules(self) -> ScheduleBook:
        """Schedules, their claimed ticks and the serve lease."""
        ...

    @property
    def outbox(self) -> Outbox:
        """The notification outbox."""
        ...

    def set_flow_run_state(self, run_id: str, state: str, ts: float, message: str | None = None) -> None:
        """Move a flow run to ``state`` and record the transition; terminal states set ``ended``."""
        ...

    def heartbeat(self, run_id: str, now: float) -> None:
        """Note that the driver of ``run_id`` is alive at ``now``."""
        ...

    def reap_stale(self, now: float, grace_seconds: float) -> list[str]:
        """Mark stale Running flow runs, and their unfinished task runs, Crashed.

        A run is stale when its last heartbeat is more than ``grace_seconds``
        before ``now``. Returns the ids of the runs it marked.
        """
        ...

    def record_driver(self, run_id: str, driver: DriverIdentity) -> None:
        """Note who the driver process of ``run_id`` is, so ``reap_dead_drivers`` can check it."""
        ...

    def reap_dead_drivers(self, now: float, me: DriverIdentity) -> list[str]:
        """Mark Running runs whose driver shares ``me``'s pid space but no longer runs Crashed, at once.

        The reason names the check that fired (the pid is gone, or reused by
        another process). Returns the ids of the runs it marked.
        """
        ...

    def record_task_events(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Apply many ``TaskEvent``s in one transaction: upsert task runs, append transitions, and record
        the persisted results some carry."""
        ...

    def record_logs(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Append many ``LogEvent``s in one transaction."""
        ...

    def mark_unfinished(self, run_id: str, state: str, ts: float, message: str) -> int:
        """Move every non-terminal task run of ``run_id`` to terminal ``state``; return how many."""
        ...

    def record_graph(self, run_id: str, nodes: Sequence[Sequence[Any]]) -> None:
        """Append one flush's compiled nodes, ``(key, task, name, upstream keys)``, to the run's graph."""
        ...

    def set_flow_run_info(self, run_id: str, info: Mapping[str, Any]) -> None:
        """Record where the run runs and how to run it again: any of ``scheduler``, ``dashboard``,
        ``executor``, ``external_scheduler`` and ``entrypoint``."""
        ...

    # -- readers ---------------------------------------------------------------

    def list_flow_runs(self, flow: str | None = None, state: str | None = None, limit: int = 20) -> list[FlowRunRow]:
        """Return flow runs newest first, optionally of one flow and/or in one state.

        A ``limit`` of zero or less returns them all.
        """
        ...

    def get_flow_run(self, run_id: str) -> FlowRunRow | None:
        """Return the run with this id, or else the one run whose id starts with it.

        Returns None when nothing matches; raises ``AmbiguousRunIdError`` when a
        prefix matches several runs.
        """
        ...

    def list_task_runs(self, run_id: str) -> list[TaskRunRow]:
        """Return a flow run's task runs in the order the store first saw them."""
        ...

    def list_task_transitions(self, run_id: str, key: str | None = None) -> list[TransitionRow]:
        """Return every recorded task state change of a run (or of one task key), oldest first."""
        ...

    def list_flow_transitions(self, run_id: str) -> list[TransitionRow]:
        """Return a flow run's own state changes, oldest first."""
        ...

    def get_logs(self, run_id: str, task: str | None = None) -> list[LogRow]:
        """Return a run's log lines oldest first; ``task`` keeps those of one task.

        ``task`` matches a task's name (every run of it), its display name such
        as ``"transform[3]"``, or its key.
        """
        ...

    def task_state_counts(self, run_id: str) -> dict[str, int]:
        """Return how many task runs of ``run_id`` are in each state (absent states are omitted)."""
        ...

    @property
    def queries(self) -> RunQueries:
        """The dashboard's reads (``RunQueries``) over this store."""
        ...

    def close(self) -> None:
        """Release the store's connections; calling it again does nothing."""
        ...
