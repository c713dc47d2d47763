"""The SQLite schema, as an ordered list of migrations, and the code that applies them.

The schema version is SQLite's ``PRAGMA user_version``: it lives in the file
header, costs no table, and changes atomically with the migration that sets it.
``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``. Never edit a
released migration; append a new one.

Design notes for version 1:

* Timestamps are REAL seconds since the epoch, as ``time.time()`` gives them.
* ``task_runs`` holds each task run's latest state and is upserted by key;
  ``ts`` there is the timestamp of the event that set the state, which is what
  keeps late, out-of-order events from regressing it. ``task_transitions`` and
  ``flow_transitions`` keep every change, append-only.
* There are no foreign keys: SQLite leaves them unenforced unless each
  connection opts in, and checking them would cost the hot event path.
* Columns are called ``started``/``ended`` rather than ``start``/``end``
  because ``END`` is an SQL keyword.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from typing import Final

from .errors import StoreError

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "migrate",
    "schema_version",
    "split_statements",
]

_V1: Final = """
CREATE TABLE flow_runs (
    run_id      TEXT NOT NULL PRIMARY KEY,
    flow_name   TEXT NOT NULL,
    state       TEXT NOT NULL,
    parameters  TEXT NOT NULL DEFAULT '{}',
    started     REAL NOT NULL,
    ended       REAL,
    heartbeat   REAL,
    message     TEXT,
    host        TEXT,
    pid         INTEGER
);
CREATE INDEX flow_runs_by_started ON flow_runs (started);
CREATE INDEX flow_runs_by_flow ON flow_runs (flow_name, started);
CREATE INDEX flow_runs_by_state ON flow_runs (state, started);

CREATE TABLE flow_transitions (
    id       INTEGER PRIMARY KEY,
    run_id   TEXT NOT NULL,
    state    TEXT NOT NULL,
    ts       REAL NOT NULL,
    message  TEXT
);
CREATE INDEX flow_transitions_by_run ON flow_transitions (run_id, ts);

CREATE TABLE task_runs (
    run_id         TEXT NOT NULL,
    key            TEXT NOT NULL,
    task           TEXT NOT NULL,
    name           TEXT NOT NULL,
    state          TEXT NOT NULL,
    ts             REAL NOT NULL,
    started        REAL,
    ended          REAL,
    attempt        INTEGER NOT NULL DEFAULT 1,
    worker         TEXT,
    message        TEXT,
    error_type     TEXT,
    error_message  TEXT,
    traceback      TEXT,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE task_transitions (
    id             INTEGER PRIMARY KEY,
    run_id         TEXT NOT NULL,
    key            TEXT NOT NULL,
    state          TEXT NOT NULL,
    ts             REAL NOT NULL,
    attempt        INTEGER NOT NULL DEFAULT 1,
    worker         TEXT,
    message        TEXT,
    error_type     TEXT,
    error_message  TEXT,
    traceback      TEXT
);
CREATE INDEX task_transitions_by_run ON task_transitions (run_id, key);

CREATE TABLE logs (
    id       INTEGER PRIMARY KEY,
    run_id   TEXT NOT NULL,
    key      TEXT,
    name     TEXT,
    level    TEXT NOT NULL,
    ts       REAL NOT NULL,
    message  TEXT NOT NULL
);
CREATE INDEX logs_by_run ON logs (run_id, ts);
"""

# -- Schedules and the notification outbox (``daskflow serve``, ``@flow(notify=...)``) ---------------
#
# * ``schedules`` holds one row per schedule id (derived from the flow, the normalised spec, the
#   zone, the anchor and the parameters, so it is the same after every restart). ``cursor`` is the
#   last tick claimed or skipped; ``anchor`` is an rrule's start, stored once, never recomputed.
# * ``schedule_ticks`` has one row per claimed tick under PRIMARY KEY (schedule_id, tick): the
#   claim, the cursor's move and the tick's Pending flow run are one transaction, so two servers,
#   or one restarted mid-claim, can never run a tick twice.
# * ``flow_runs`` gains the schedule and tick a run is for.
# * ``serve_lease`` is the one row saying which ``serve`` process is active (pid, host, heartbeat).
# * ``notify_rules`` are a run's notifiers, minus secrets; ``notifications`` is the outbox, written
#   in the transaction of the state it reports and unique per (rule, run, state, attempt);
#   ``notification_attempts`` logs every delivery attempt.
_V2_SCHEDULES_AND_OUTBOX: Final = """
ALTER TABLE flow_runs ADD COLUMN schedule_id TEXT;
ALTER TABLE flow_runs ADD COLUMN tick REAL;
CREATE INDEX flow_runs_by_schedule ON flow_runs (schedule_id, tick);

CREATE TABLE schedules (
    schedule_id      TEXT NOT NULL PRIMARY KEY,
    flow_name        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    expression       TEXT NOT NULL,
    timezone         TEXT NOT NULL,
    anchor           REAL,
    parameters       TEXT NOT NULL DEFAULT '{}',
    catchup          TEXT NOT NULL,
    max_catchup      INTEGER,
    max_active_runs  INTEGER NOT NULL,
    source           TEXT,
    registered       REAL NOT NULL,
    updated          REAL NOT NULL,
    cursor           REAL NOT NULL,
    skipped          INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE schedule_ticks (
    schedule_id  TEXT NOT NULL,
    tick         REAL NOT NULL,
    run_id       TEXT NOT NULL,
    claimed      REAL NOT NULL,
    claimed_by   TEXT NOT NULL,
    catchup      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (schedule_id, tick)
);

CREATE TABLE serve_lease (
    name       TEXT NOT NULL PRIMARY KEY,
    owner      TEXT NOT NULL,
    pid        INTEGER NOT NULL,
    host       TEXT NOT NULL,
    acquired   REAL NOT NULL,
    heartbeat  REAL NOT NULL,
    expires    REAL NOT NULL
);

CREATE TABLE notify_rules (
    run_id                TEXT NOT NULL,
    rule_id               TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    target                TEXT NOT NULL,
    config                TEXT NOT NULL,
    states                TEXT NOT NULL,
    late_after            REAL,
    not_completed_within  REAL,
    max_attempts          INTEGER NOT NULL,
    backoff               REAL NOT NULL,
    timeout               REAL NOT NULL,
    payload               BLOB,
    PRIMARY KEY (run_id, rule_id)
);

CREATE TABLE notifications (
    notification_id  TEXT NOT NULL PRIMARY KEY,
    rule_id          TEXT NOT NULL,
    run_id           TEXT NOT NULL,
    state            TEXT NOT NULL,
    attempt          INTEGER NOT NULL DEFAULT 1,
    flow_name        TEXT NOT NULL,
    message          TEXT,
    created          REAL NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending',
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt     REAL NOT NULL,
    claimed_by       TEXT,
    claimed_until    REAL,
    delivered        REAL,
    last_error       TEXT,
    UNIQUE (rule_id, run_id, state, attempt)
);
CREATE INDEX notifications_due ON notifications (status, next_attempt);
CREATE INDEX notifications_by_run ON notifications (run_id);

CREATE TABLE notification_attempts (
    id               INTEGER PRIMARY KEY,
    notification_id  TEXT NOT NULL,
    attempt          INTEGER NOT NULL,
    ts               REAL NOT NULL,
    ok               INTEGER NOT NULL,
    status           TEXT,
    error            TEXT,
    process          TEXT NOT NULL
);
CREATE INDEX notification_attempts_by_notification ON notification_attempts (notification_id, attempt);
"""


# Crash detection without waiting (orchestrator.history.store.liveness): who the driver
# process is, so a reader on its host can tell at once that it died. ``driver_space`` is the
# kernel's boot id and the pid namespace ("these pids mean the same processes"),
# ``driver_start`` the process's start time in clock ticks after boot (/proc/PID/stat), which
# tells a reused pid from the driver. NULL for runs of older versions: only the heartbeat
# grace covers those.
_DRIVER_IDENTITY: Final = """
ALTER TABLE flow_runs ADD COLUMN driver_space TEXT;
ALTER TABLE flow_runs ADD COLUMN driver_start INTEGER;
"""


# -- The dashboard (issue 12) ------------------------------------------------------------
# * flow_runs learns where a run ran and how to run it again: the Dask scheduler's address
#   and its dashboard link (so pages can link to it, never proxy it), the executor as the
#   driver described it, whether the scheduler was one the driver connected to rather than
#   started (a re-run can reuse only that), and the flow's PATH:FLOW or module:flow.
# * task_graphs keeps each flush's compiled graph as one compact blob (keys, task names,
#   display names, upstream keys; ``totals`` is JSON, task name -> nodes): one row per flush,
#   not per task, so recording it costs the hot path almost nothing. It gives the dashboard
#   the totals per task name before the tasks report, the graph view and the critical path.
# * Indexes for what the pages read at 100k rows: a run's task runs by state (counts, error
#   groups), and a run's transitions and log lines in id order (live updates after an id, log
#   pages), and a task's log lines.
_DASHBOARD: Final = """
ALTER TABLE flow_runs ADD COLUMN scheduler TEXT;
ALTER TABLE flow_runs ADD COLUMN dashboard TEXT;
ALTER TABLE flow_runs ADD COLUMN executor TEXT;
ALTER TABLE flow_runs ADD COLUMN external_scheduler INTEGER;
ALTER TABLE flow_runs ADD COLUMN entrypoint TEXT;

CREATE TABLE task_graphs (
    id      INTEGER PRIMARY KEY,
    run_id  TEXT NOT NULL,
    nodes   INTEGER NOT NULL,
    totals  TEXT NOT NULL,
    graph   BLOB NOT NULL
);
CREATE INDEX task_graphs_by_run ON task_graphs (run_id);

CREATE INDEX task_runs_by_state ON task_runs (run_id, state);
CREATE INDEX task_transitions_by_run_id ON task_transitions (run_id);
CREATE INDEX logs_by_run_id ON logs (run_id);
CREATE INDEX logs_by_run_key ON logs (run_id, key);
"""

# Persisted task results, resume links and tag concurrency limits (orchestrator.history.store.results
# and .limits). New tables only, written by runs that cache, persist, resume or set limits, so a run
# that does none of these writes exactly what it wrote before.
#
# * ``cache_entries``: one row per persisted result, by cache key: where the worker wrote it, its
#   checksum and size, when it was written and when it expires (NULL: never), and the task run
#   that wrote it. ``daskflow cache ls`` / ``clear`` read and delete these.
# * ``task_results``: which result each task run wrote or read back (``hit``: NULL when it computed
#   and wrote it, 'cache' for a cache hit, 'resume' when reused from the run it resumed). A resume
#   reuses the Completed and Cached task runs of its old run listed here.
# * ``flow_run_origins``: the run a flow run resumed (``resumed_from``), and the ``PATH:FLOW`` the
#   CLI ran (``target``), so ``daskflow run --resume RUN_ID`` needs nothing else.
# * ``concurrency_limits``: ``daskflow concurrency set TAG N``; loaded at every run start.
_RESULTS_AND_LIMITS: Final = """
CREATE TABLE cache_entries (
    cache_key  TEXT NOT NULL PRIMARY KEY,
    task       TEXT NOT NULL,
    location   TEXT NOT NULL,
    checksum   TEXT NOT NULL,
    size       INTEGER NOT NULL,
    created    REAL NOT NULL,
    expires    REAL,
    run_id     TEXT NOT NULL,
    key        TEXT NOT NULL
);
CREATE INDEX cache_entries_by_task ON cache_entries (task, created);
CREATE INDEX cache_entries_by_created ON cache_entries (created);

CREATE TABLE task_results (
    run_id     TEXT NOT NULL,
    key        TEXT NOT NULL,
    cache_key  TEXT NOT NULL,
    location   TEXT NOT NULL,
    hit        TEXT,
    PRIMARY KEY (run_id, key)
);

CREATE TABLE flow_run_origins (
    run_id        TEXT NOT NULL PRIMARY KEY,
    resumed_from  TEXT,
    target        TEXT
);

CREATE TABLE concurrency_limits (
    tag      TEXT NOT NULL PRIMARY KEY,
    slots    INTEGER NOT NULL,
    updated  REAL NOT NULL
);
"""

MIGRATIONS: Final[tuple[str, ...]] = (
    _V1,
    _V2_SCHEDULES_AND_OUTBOX,
    _DRIVER_IDENTITY,
    _DASHBOARD,
    _RESULTS_AND_LIMITS,
)
SCHEMA_VERSION: Final[int] = len(MIGRATIONS)


def split_statements(script: str) -> Iterator[str]:
    """Yield the complete SQL statements of ``script`` one by one.

    ``Connection.executescript`` would be simpler, but it commits any open
    transaction first, so a migration could not be applied atomically with the
    version bump. ``sqlite3.complete_statement`` knows about semicolons inside
    strings and trigger bodies, which a naive ``split(";")`` does not.
    """
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statement = pending.strip()
            pending = ""
            if statement.rstrip(";").strip():
                yield statement
    if pending.strip():
        shown = pending.strip()[:200]
        message = f"migration script ends with an incomplete SQL statement: {shown!r}"
        raise StoreError(message)


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the schema version stored in the database file (0 for a new file)."""
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[str] = MIGRATIONS) -> int:
    """Bring the database up to ``len(migrations)`` and return the version it is now at.

    ``conn`` must be in autocommit mode (``isolation_level=None``). All pending
    migrations run in one ``BEGIN IMMEDIATE`` transaction, and the version is
    read again once the write lock is held, so processes opening a new store
    at the same moment apply each migration exactly once.
    """
    target = len(migrations)
    if _checked_version(conn, target) == target:
        return target
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have migrated while we waited for the write lock.
        current = _checked_version(conn, target)
        for script in migrations[current:]:
            for statement in split_statements(script):
                conn.execute(statement)
        if current < target:
            # PRAGMA takes no bound parameters; ``target`` is an int we computed.
            conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return target


def _checked_version(conn: sqlite3.Connection, target: int) -> int:
    current = schema_version(conn)
    if current > target:
        message = (
            f"the run store has schema version {current}, but this daskflow knows only up to "
            f"version {target}; upgrade daskflow, or point DASKFLOW_HOME at another directory"
        )
        raise StoreError(message)
    return current
