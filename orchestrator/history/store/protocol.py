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
from .outbox import AttemptRow, ClaimedNotification, NotificationRow
from .records import FlowRunRow, LogRow, TaskRunRow, TransitionRow
from .results import ResultIndex
from .schedule_book import LeaseRow, ScheduleRow, TickClaim, TickRow

__all__ = ["Outbox", "RunStore", "ScheduleBook"]


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

    def close(self) -> None:
        """Release the store's connections; calling it again does nothing."""
        ...
