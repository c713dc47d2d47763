"""``SQLiteStore``: the default run store, one SQLite file in WAL mode.

How it stays correct with several writers:

* One connection per store object, opened with ``check_same_thread=False`` and
  used only under a lock, so the driver's recorder thread and its main thread
  can share one object. Each process opens its own store object; if a process
  forks, the child opens a fresh connection on first use, because an SQLite
  connection must never be used on both sides of a fork.
* WAL mode lets readers (the CLI, the dashboard) read while a driver writes,
  and makes a commit an append. ``synchronous=NORMAL`` is the WAL setting that
  may lose the last commits on power loss but never corrupts the file, which
  is the right trade for a run log written thousands of times a second.
* Every write is one short ``BEGIN IMMEDIATE`` transaction. Taking the write
  lock up front means a transaction never fails half-way while upgrading a
  read lock, so ``busy_timeout`` covers all the waiting. The rare cases where
  SQLite reports BUSY without waiting (such as WAL recovery after a crash) are
  retried with backoff until the same deadline.
* Records are validated and converted before the transaction starts, so the
  write lock is held only for the ``executemany`` calls themselves.

Task events are upserted with a guard (see ``_UPSERT_TASK_RUN``) so that
events arriving late or out of order never move a task run back in time, and
a straggling non-terminal event never reopens a finished task run.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Final, TypeVar

from .convert import (
    FLOW_COLUMNS,
    TASK_COLUMNS,
    check_state,
    dump_parameters,
    flow_row,
    iso_utc,
    log_params,
    task_params,
    where_equal,
)
from .errors import AmbiguousRunIdError, StoreError, StoreLocked, classify
from .graphs import record_graph, set_run_info
from .limits import SQLiteLimits
from .liveness import DriverIdentity, reap_dead_drivers
from .outbox import SQLiteOutbox, enqueue_state, store_rules
from .queries import SQLiteQueries
from .records import TERMINAL_STATES, FlowRunRow, LogRow, TaskRunRow, TransitionRow
from .results import SQLiteResults, record_results
from .schedule_book import SQLiteScheduleBook, start_pending
from .schema import migrate

__all__ = ["SQLiteStore"]

_T = TypeVar("_T")

DEFAULT_TIMEOUT: Final = 30.0
_MAX_RETRY_DELAY: Final = 0.1
_SQLITE_BUSY: Final = 5
_SQLITE_LOCKED: Final = 6
# The highest code point: every string that starts with a prefix sorts below
# prefix + this, so a prefix search is an index range scan, with no LIKE
# wildcards to escape.
_MAX_CHAR: Final = "\U0010ffff"

# Built from a constant set of known names, so formatting it into SQL is safe.
_TERMINAL_SQL: Final = "(" + ", ".join(f"'{s}'" for s in sorted(TERMINAL_STATES)) + ")"

_TRANSITION_COLUMNS: Final = "run_id, key, state, ts, attempt, worker, message, error_type, error_message, traceback"
_LOG_COLUMNS: Final = "run_id, key, name, level, ts, message"

# ``ts`` is the time of the event that set the stored state. An older event
# loses (ties go to the later arrival), and once a task run is terminal only
# another terminal event may replace it: a late Running event from a worker
# must not reopen a task the driver already marked Crashed or Cancelled.
# ``started`` and ``worker`` keep their known value when an event omits them.
# Parameters by position, in convert.TASK_PARAM_ORDER: ?1 run, ?2 key, ?3 task, ?4 name,
# ?5 state, ?6 ts, ?7 start, ?8 end, ?9 attempt, ?10 worker, ?11 message, ?12 error_type,
# ?13 error_message, ?14 traceback. Both statements take the same row.
_UPSERT_TASK_RUN: Final = f"""
INSERT INTO task_runs (
    run_id, key, task, name, state, ts, started, ended, attempt, worker,
    message, error_type, error_message, traceback
) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
ON CONFLICT (run_id, key) DO UPDATE SET
    task = excluded.task,
    name = excluded.name,
    state = excluded.state,
    ts = excluded.ts,
    started = COALESCE(excluded.started, task_runs.started),
    ended = excluded.ended,
    attempt = excluded.attempt,
    worker = COALESCE(excluded.worker, task_runs.worker),
    message = excluded.message,
    error_type = excluded.error_type,
    error_message = excluded.error_message,
    traceback = excluded.traceback
WHERE excluded.ts >= task_runs.ts
  AND (task_runs.state NOT IN {_TERMINAL_SQL} OR excluded.state IN {_TERMINAL_SQL})
"""

_INSERT_TASK_TRANSITION: Final = """
INSERT INTO task_transitions (
    run_id, key, state, ts, attempt, worker, message, error_type, error_message, traceback
) VALUES (?1, ?2, ?5, ?6, ?9, ?10, ?11, ?12, ?13, ?14)
"""

_INSERT_LOG: Final = """
INSERT INTO logs (run_id, key, name, level, ts, message)
VALUES (:run, :key, :name, :level, :ts, :message)
"""


class SQLiteStore:
    """A ``RunStore`` in one SQLite file; safe across threads and processes.

    ``timeout`` bounds how long a call waits for another writer's lock before
    raising ``StoreError``. Use ``open_store()`` to get the default location.
    """

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._path = os.fspath(path)
        self._timeout = timeout
        self._lock = threading.Lock()
        self._pid = os.getpid()
        # Connections inherited across a fork are kept referenced, never closed
        # or collected in the child: closing one could touch the parent's WAL.
        self._abandoned: list[sqlite3.Connection] = []
        self._conn: sqlite3.Connection | None = self._connect()
        #: Persisted results and resume links (store/results.py), and concurrency limits (store/limits.py).
        self.results = SQLiteResults(self._read, self._write)
        self.limits = SQLiteLimits(self._read, self._write)
        self._schedules = SQLiteScheduleBook(self._write, self._read)
        self._outbox = SQLiteOutbox(self._write, self._read)
        self._queries = SQLiteQueries(self._read)

    @property
    def path(self) -> str:
        """The database file this store writes to."""
        return self._path

    @property
    def schedules(self) -> SQLiteScheduleBook:
        """Schedules, claimed ticks and the serve lease (orchestrator.history.store.schedule_book)."""
        return self._schedules

    @property
    def outbox(self) -> SQLiteOutbox:
        """The notification outbox (orchestrator.history.store.outbox)."""
        return self._outbox

    def __repr__(self) -> str:
        return f"SQLiteStore({self._path!r})"

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

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

        A scheduled run claimed by ``serve`` already exists as Pending: recording
        it Running starts it, once (``RunAlreadyStarted`` otherwise). ``notify``
        holds the run's notify rules (``NotifyRule.as_dict()``).
        """
        check_state(state, f"flow run {run_id!r}")
        params_json = dump_parameters(parameters, run_id)
        ended = started if state in TERMINAL_STATES else None

        def work(conn: sqlite3.Connection) -> None:
            # The run's rules first: a state it starts in may already be one to notify.
            store_rules(conn, run_id, notify)
            cursor = conn.execute(
                "INSERT INTO flow_runs"
                " (run_id, flow_name, state, parameters, started, ended, heartbeat, host, pid, schedule_id, tick)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO NOTHING",
                (run_id, flow_name, state, params_json, started, ended, started, host, pid, schedule_id, tick),
            )
            if cursor.rowcount == 0:
                if state == "Running":
                    start_pending(conn, run_id, flow_name, params_json, started, host, pid)
                    return
                message = (
                    f"flow run {run_id!r} already exists in the run store {self._path}; every flow run needs a new id"
                )
                raise StoreError(message)
            conn.execute(
                "INSERT INTO flow_transitions (run_id, state, ts) VALUES (?, ?, ?)",
                (run_id, state, started),
            )
            enqueue_state(conn, run_id, state, started, None)

        self._write(work)

    def set_flow_run_state(self, run_id: str, state: str, ts: float, message: str | None = None) -> None:
        """Move a flow run to ``state`` and record the transition; terminal states set ``ended``."""
        check_state(state, f"flow run {run_id!r}")
        self._write(lambda conn: self._set_flow_state(conn, run_id, state, ts, message))

    def heartbeat(self, run_id: str, now: float) -> None:
        """Note that the driver of ``run_id`` is alive at ``now``."""

        def work(conn: sqlite3.Connection) -> None:
            cursor = conn.execute("UPDATE flow_runs SET heartbeat = ? WHERE run_id = ?", (now, run_id))
            if cursor.rowcount == 0:
                raise StoreError(self._no_run_message(run_id))

        self._write(work)

    def reap_stale(self, now: float, grace_seconds: float) -> list[str]:
        """Mark stale Running flow runs, and their unfinished task runs, Crashed.

        A run is stale when its last heartbeat (or, if it never beat, its start)
        is more than ``grace_seconds`` before ``now``. Returns the ids of the
        runs it marked.
        """

        def work(conn: sqlite3.Connection) -> list[str]:
            stale = conn.execute(
                "SELECT run_id, COALESCE(heartbeat, started) FROM flow_runs"
                " WHERE state = 'Running' AND COALESCE(heartbeat, started) < ?"
                " ORDER BY started",
                (now - grace_seconds,),
            ).fetchall()
            for run_id, last_beat in stale:
                reason = (
                    f"driver heartbeat stopped at {iso_utc(last_beat)} (silent for more than "
                    f"{grace_seconds:g} s); the driver process died or lost the store"
                )
                self._set_flow_state(conn, run_id, "Crashed", now, reason)
                _mark_unfinished(conn, run_id, "Crashed", now, f"flow run crashed: {reason}")
            return [run_id for run_id, _ in stale]

        return self._write(work)

    def record_driver(self, run_id: str, driver: DriverIdentity) -> None:
        """Note who the driver process of ``run_id`` is, so ``reap_dead_drivers`` can check it."""
        self._write(
            lambda conn: conn.execute(
                "UPDATE flow_runs SET host = ?, pid = ?, driver_space = ?, driver_start = ? WHERE run_id = ?",
                (driver.host, driver.pid, driver.space, driver.start_ticks, run_id),
            )
        )

    def reap_dead_drivers(self, now: float, me: DriverIdentity) -> list[str]:
        """Mark Running runs whose driver shares ``me``'s pid space but no longer runs Crashed, at once.

        See ``orchestrator.history.store.liveness``; returns the ids of the runs it marked.
        """

        if not self._read(lambda conn: reap_dead_drivers(conn, me)):
            return []  # the usual case: no write lock taken, so readers never queue behind busy writers

        def work(conn: sqlite3.Connection) -> list[str]:
            dead = reap_dead_drivers(conn, me)  # again, under the lock: another reader may have reaped them
            for run_id, reason in dead:
                self._set_flow_state(conn, run_id, "Crashed", now, reason)
                _mark_unfinished(conn, run_id, "Crashed", now, f"flow run crashed: {reason}")
            return [run_id for run_id, _ in dead]

        return self._write(work)

    def record_task_events(self, events: Sequence[Mapping[str, Any]]) -> None:
        """Apply many ``TaskEvent``s in one transaction: upsert task runs, append transitions."""
        rows = [task_params(event) for event in events]
        if not rows:
            return
        persisted = [event for event in events if "result" in event]

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(_UPSERT_TASK_RUN, rows)
            conn.executemany(_INSERT_TASK_TRANSITION, rows)
            if persisted:
                record_results(conn, persisted)

        self._write(work)

    def record_logs(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Append many ``LogEvent``s in one transaction."""
        rows = [log_params(record) for record in records]
        if rows:
            self._write(lambda conn: conn.executemany(_INSERT_LOG, rows))

    def mark_unfinished(self, run_id: str, state: str, ts: float, message: str) -> int:
        """Move every non-terminal task run of ``run_id`` to terminal ``state``; return how many."""
        if state not in TERMINAL_STATES:
            allowed = ", ".join(sorted(TERMINAL_STATES))
            error = f"mark_unfinished({run_id!r}) needs a terminal state, not {state!r}; use one of {allowed}"
            raise StoreError(error)
        return self._write(lambda conn: _mark_unfinished(conn, run_id, state, ts, message))

    def record_graph(self, run_id: str, nodes: Sequence[Sequence[Any]]) -> None:
        """Append one flush's compiled nodes, ``(key, task, name, upstream keys)``, to the run's graph."""
        if nodes:
            self._write(lambda conn: record_graph(conn, run_id, nodes))

    def set_flow_run_info(self, run_id: str, info: Mapping[str, Any]) -> None:
        """Record any of ``scheduler``, ``dashboard``, ``executor``, ``external_scheduler``, ``entrypoint``."""
        if not self._write(lambda conn: set_run_info(conn, run_id, info)):
            raise StoreError(self._no_run_message(run_id))

    # -- readers ---------------------------------------------------------------

    @property
    def queries(self) -> SQLiteQueries:
        """The dashboard's reads over this store (orchestrator.history.store.queries)."""
        return self._queries

    def list_flow_runs(self, flow: str | None = None, state: str | None = None, limit: int = 20) -> list[FlowRunRow]:
        """Return flow runs newest first, optionally of one flow and/or in one state.

        A ``limit`` of zero or less returns them all.
        """
        where, params = where_equal({"flow_name": flow, "state": state})
        params.append(limit if limit > 0 else -1)  # SQLite reads a negative LIMIT as none
        sql = f"SELECT {FLOW_COLUMNS} FROM flow_runs {where} ORDER BY started DESC, rowid DESC LIMIT ?"
        rows = self._read(lambda conn: conn.execute(sql, params).fetchall())
        return [flow_row(row) for row in rows]

    def get_flow_run(self, run_id: str) -> FlowRunRow | None:
        """Return the run with this id, or else the one run whose id starts with it.

        Returns None when nothing matches; raises ``AmbiguousRunIdError`` when a
        prefix matches several runs.
        """

        def work(conn: sqlite3.Connection) -> FlowRunRow | None:
            select = f"SELECT {FLOW_COLUMNS} FROM flow_runs"
            row = conn.execute(f"{select} WHERE run_id = ?", (run_id,)).fetchone()
            if row is not None:
                return flow_row(row)
            if not run_id:
                return None
            bounds = (run_id, run_id + _MAX_CHAR)
            in_range = "WHERE run_id >= ? AND run_id < ?"
            rows = conn.execute(f"{select} {in_range} ORDER BY run_id LIMIT 5", bounds).fetchall()
            if len(rows) <= 1:
                return flow_row(rows[0]) if rows else None
            (count,) = conn.execute(f"SELECT COUNT(*) FROM flow_runs {in_range}", bounds).fetchone()
            raise AmbiguousRunIdError(run_id, [r[0] for r in rows], count)

        return self._read(work)

    def list_task_runs(self, run_id: str) -> list[TaskRunRow]:
        """Return a flow run's task runs in the order the store first saw them."""
        sql = f"SELECT {TASK_COLUMNS} FROM task_runs WHERE run_id = ? ORDER BY rowid"
        rows = self._read(lambda conn: conn.execute(sql, (run_id,)).fetchall())
        return [TaskRunRow(*row) for row in rows]

    def list_task_transitions(self, run_id: str, key: str | None = None) -> list[TransitionRow]:
        """Return every recorded task state change of a run (or of one task key), oldest first."""
        if key is None:
            sql = f"SELECT {_TRANSITION_COLUMNS} FROM task_transitions WHERE run_id = ?"
            params: tuple[str, ...] = (run_id,)
        else:
            sql = f"SELECT {_TRANSITION_COLUMNS} FROM task_transitions WHERE run_id = ? AND key = ?"
            params = (run_id, key)
        rows = self._read(lambda conn: conn.execute(f"{sql} ORDER BY ts, id", params).fetchall())
        return [TransitionRow(*row) for row in rows]

    def list_flow_transitions(self, run_id: str) -> list[TransitionRow]:
        """Return a flow run's own state changes, oldest first."""
        sql = (
            "SELECT run_id, NULL, state, ts, NULL, NULL, message, NULL, NULL, NULL"
            " FROM flow_transitions WHERE run_id = ? ORDER BY ts, id"
        )
        rows = self._read(lambda conn: conn.execute(sql, (run_id,)).fetchall())
        return [TransitionRow(*row) for row in rows]

    def get_logs(self, run_id: str, task: str | None = None) -> list[LogRow]:
        """Return a run's log lines oldest first; ``task`` keeps those of one task.

        ``task`` matches a task's name (every run of it), its display name such
        as ``"transform[3]"``, or its key.
        """
        if task is None:
            sql = f"SELECT {_LOG_COLUMNS} FROM logs WHERE run_id = :run ORDER BY ts, id"
        else:
            sql = (
                f"SELECT {_LOG_COLUMNS} FROM logs WHERE run_id = :run"
                " AND (name = :task OR key = :task OR key IN"
                " (SELECT key FROM task_runs WHERE run_id = :run AND task = :task))"
                " ORDER BY ts, id"
            )
        params = {"run": run_id, "task": task}
        rows = self._read(lambda conn: conn.execute(sql, params).fetchall())
        return [LogRow(*row) for row in rows]

    def task_state_counts(self, run_id: str) -> dict[str, int]:
        """Return how many task runs of ``run_id`` are in each state (absent states are omitted)."""
        sql = "SELECT state, COUNT(*) FROM task_runs WHERE run_id = ? GROUP BY state"
        rows = self._read(lambda conn: conn.execute(sql, (run_id,)).fetchall())
        return dict(rows)

    def close(self) -> None:
        """Close the connection; calling it again does nothing."""
        if os.getpid() != self._pid:
            # Never close a connection inherited across a fork; just drop it.
            if self._conn is not None:
                self._abandoned.append(self._conn)
            self._conn = None
            return
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    # -- internals -------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path,
                timeout=self._timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            message = f"cannot open the run store {self._path}: {exc}; check that the path is writable"
            raise StoreError(message) from exc
        try:
            # Switching a new file to WAL takes a brief exclusive lock, which can
            # report BUSY at once when several processes open the store together.
            row = self._retrying(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
            if str(row[0]).lower() != "wal" and self._path != ":memory:":
                message = (
                    f"the run store {self._path} cannot use WAL mode (got {row[0]!r}), so "
                    "concurrent runs could block or lose writes; put DASKFLOW_HOME on a local "
                    "filesystem"
                )
                raise StoreError(message)
            conn.execute("PRAGMA synchronous = NORMAL")
            self._retrying(lambda: migrate(conn))
        except BaseException:
            conn.close()
            raise
        return conn

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if os.getpid() != self._pid:
            self._reopen_after_fork()
        with self._lock:
            if self._conn is None:
                message = f"the run store {self._path} is closed; open it again with open_store()"
                raise StoreError(message)
            yield self._conn

    def _reopen_after_fork(self) -> None:
        # The parent's lock may have been held by a thread that does not exist
        # here, so the child starts with a fresh lock as well.
        self._lock = threading.Lock()
        self._pid = os.getpid()
        if self._conn is not None:
            self._abandoned.append(self._conn)
            self._conn = self._connect()

    def _write(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._connection() as conn:

            def attempt() -> _T:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                return result

            return self._retrying(attempt)

    def _read(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        with self._connection() as conn:
            return self._retrying(lambda: work(conn))

    def _retrying(self, attempt: Callable[[], _T]) -> _T:
        """Run ``attempt``, again after a short backoff while SQLite reports BUSY.

        Other SQLite errors become ``StoreError``; ``attempt`` must leave no
        transaction open when it fails, so running it again is safe.
        """
        deadline = time.monotonic() + self._timeout
        delay = 0.001
        while True:
            try:
                return attempt()
            except sqlite3.Error as exc:
                if not _is_busy(exc):
                    raise classify(self._path, exc) from exc
                if time.monotonic() >= deadline:
                    message = (
                        f"the run store {self._path} stayed locked for {self._timeout:g} s; "
                        "another process holds a long write transaction, or the filesystem's "
                        "locks do not work"
                    )
                    raise StoreLocked(message) from exc
            time.sleep(delay)
            delay = min(delay * 2, _MAX_RETRY_DELAY)

    def _set_flow_state(
        self,
        conn: sqlite3.Connection,
        run_id: str,
        state: str,
        ts: float,
        message: str | None,
    ) -> None:
        ended = ts if state in TERMINAL_STATES else None
        cursor = conn.execute(
            "UPDATE flow_runs SET state = ?, ended = ?, message = ? WHERE run_id = ?",
            (state, ended, message, run_id),
        )
        if cursor.rowcount == 0:
            raise StoreError(self._no_run_message(run_id))
        conn.execute(
            "INSERT INTO flow_transitions (run_id, state, ts, message) VALUES (?, ?, ?, ?)",
            (run_id, state, ts, message),
        )
        # The notifications this state calls for, in the same transaction (history.store.outbox).
        enqueue_state(conn, run_id, state, ts, message)

    def _no_run_message(self, run_id: str) -> str:
        return f"no flow run {run_id!r} in the run store {self._path}; record it with create_flow_run() first"


def _mark_unfinished(conn: sqlite3.Connection, run_id: str, state: str, ts: float, message: str) -> int:
    unfinished = conn.execute(
        f"SELECT key, attempt, worker FROM task_runs WHERE run_id = ? AND state NOT IN {_TERMINAL_SQL}",
        (run_id,),
    ).fetchall()
    if not unfinished:
        return 0
    conn.executemany(
        "INSERT INTO task_transitions (run_id, key, state, ts, attempt, worker, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(run_id, key, state, ts, attempt, worker, message) for key, attempt, worker in unfinished],
    )
    # MAX keeps ``ts`` monotonic, so the ordering guard still holds for
    # events stamped by a worker whose clock runs ahead of the driver's.
    conn.execute(
        "UPDATE task_runs SET state = ?, ts = MAX(ts, ?), ended = COALESCE(ended, ?),"
        " message = ?, error_type = NULL, error_message = NULL, traceback = NULL"
        f" WHERE run_id = ? AND state NOT IN {_TERMINAL_SQL}",
        (state, ts, ts, message, run_id),
    )
    return len(unfinished)


def _is_busy(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)  # Python 3.11+
    if code is not None:
        return code & 0xFF in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(exc).lower()
    return "locked" in text or "busy" in text
