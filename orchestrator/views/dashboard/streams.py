"""One run's live stream, ``GET /api/runs/ID/events?after=T:L``: what a run page hears while it is open.

The cursor is two row ids: the run's last task transition ``T`` and its
last log line ``L`` (``-`` leaves logs out; the page passes the ids its
snapshot was read at, ``/columns`` and ``/logs``). Events, in this order:

* ``run``: the header, whenever the run's state, end, heartbeat or message
  changed (always first on a new connection);
* ``tasks``: every task run changed by a transition after ``T``, as it is
  now (arrays in ``serialize.TASK_FIELDS`` order), and its retries;
* ``logs``: the lines after ``L`` that pass the log filter in the query;
* ``summary`` and ``critical``: the strip per task name and the critical
  path, recomputed when task runs changed, but only as often as their cost
  allows (``Throttle``): at most ``SHARE`` of the time, so a live 100k-task
  run costs the dashboard a bounded part of a core however fast it goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Final

from ...history.store import TERMINAL_STATES, FlowRunRow, LogFilter, RunStore
from .api_common import log_filter
from .api_run import run_header
from .serialize import log_rows, task_rows
from .sse import Batch, Cursor, EventStream

__all__ = ["RunStream", "Throttle"]

#: Share of the time a stream may spend recomputing summaries at most.
SHARE: Final = 0.05
#: Log lines per event at most.
LOG_BATCH: Final = 2_000


class Throttle:
    """Lets an expensive update run at most every ``every`` seconds, and at most ``share`` of the time."""

    def __init__(self, every: float, share: float = SHARE) -> None:
        self.every = every
        self.share = share
        self.next = 0.0
        self.dirty = False

    def due_in(self, now: float) -> float | None:
        """Seconds until the update may run (0: now); None when nothing needs it."""
        return max(self.next - now, 0.0) if self.dirty else None

    def ran(self, started: float, cost: float) -> None:
        self.next = started + max(self.every, cost / self.share)
        self.dirty = False


class RunStream(EventStream):
    kinds = 2

    async def setup(self, *args: str) -> None:
        (run_id,) = args
        self.row: FlowRunRow = await self.flow_run(run_id)
        self.logs: LogFilter = log_filter(self)
        self.sent: tuple[Any, ...] | None = None
        self.summary = Throttle(1.0)
        self.critical = Throttle(5.0)
        self.ended = False

    async def start_cursor(self) -> Cursor:
        run_id = self.row.run_id

        def work(store: RunStore) -> Cursor:
            return (store.queries.last_task_transition(run_id), store.queries.last_log(run_id))

        result: Cursor = await self.read(work)
        return result

    async def batch(self, cursor: Cursor) -> Batch:
        after_tasks, after_logs = cursor
        run_id, logs, read_only = self.row.run_id, self.logs, self.security.read_only

        def work(store: RunStore) -> tuple[Any, ...]:
            row = store.get_flow_run(run_id)
            queries = store.queries
            tasks = queries.task_changes(run_id, after_tasks) if after_tasks is not None else None
            lines = queries.logs_after(run_id, logs, after_logs, LOG_BATCH) if after_logs is not None else None
            header = run_header(store, row, read_only) if row is not None else None
            return row, header, tasks, lines

        row, header, tasks, lines = await self.read(work)
        events: list[tuple[str, Any, Cursor]] = []
        position: Cursor = cursor
        if row is not None:
            self.row = row
            seen = (row.state, row.ended, row.heartbeat, row.message)
            if seen != self.sent:
                self.sent = seen
                events.append(("run", header, position))
        more = False
        if tasks is not None and len(tasks):
            position = (tasks.last_id, position[1])
            events.append(("tasks", {"rows": task_rows(tasks), "retries": tasks.retries}, position))
            self.summary.dirty = self.critical.dirty = True
            more = tasks.more
        elif tasks is not None:
            position = (tasks.last_id, position[1])
        if lines:
            position = (position[0], lines[-1].id)
            events.append(("logs", {"lines": log_rows(lines)}, position))
            more = more or len(lines) >= LOG_BATCH
        if self.row.state in TERMINAL_STATES and not self.ended:
            self.ended = True  # the final numbers, whatever the throttles say
            self.summary.dirty = self.critical.dirty = True
            self.summary.next = self.critical.next = 0.0
        wake: list[float] = []
        cache, row = self.cache, self.row
        computations: tuple[tuple[str, Throttle, Callable[[RunStore], Any]], ...] = (
            ("summary", self.summary, lambda store: cache.summary(store, run_id)),
            ("critical", self.critical, lambda store: cache.critical(store, row)),
        )
        for name, throttle, compute in computations:
            due = throttle.due_in(time.time())
            if due is None or more:
                continue
            if due > 0:
                wake.append(due)
                continue
            started = time.time()
            data = await self.read(compute)
            throttle.ran(started, time.time() - started)
            events.append((name, data, position))
        return Batch(events, position, more=more, wake_in=min(wake) if wake else None)
