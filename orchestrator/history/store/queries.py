"""``SQLiteQueries``: the dashboard's reads of an SQLite run store (``SQLiteStore.queries``).

Each read is one short statement, or one read transaction where several
statements must see the same moment (a snapshot of a run's task runs and
the transition id it reflects). What stays fast at 100k rows, and why:

* **Run lists** page by cursor, never by offset: the cursor is the last
  row's ``(started, rowid)``, and the next page is an index range scan of
  ``flow_runs_by_started`` from there, however deep the page.
* **Changes after an id** (live pages) are range scans of the id-ordered
  indexes the dashboard migration adds (``task_transitions_by_run_id``,
  ``logs_by_run_id``) or of ``flow_transitions``' own rowid.
* **Counts** per state read the ``(state, started)`` and ``(run_id, state)``
  indexes only.
* **Log pages** are by offset into one run's filtered lines: logs are only
  appended, so an offset keeps meaning the same line, and the scroll bar of
  a 100k-line view maps to it directly. Search is a substring scan of that
  one run's lines.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Final, TypeVar

from .convert import FLOW_COLUMNS, TASK_COLUMNS, flow_row
from .errors import StoreError
from .graphs import INFO_FIELDS, decode_graph, info_row
from .read_models import (
    ERROR_LEVELS,
    FAILED_STATES,
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
from .records import FlowRunRow, TaskRunRow, TransitionRow

__all__ = ["SQLiteQueries"]

_T = TypeVar("_T")
Reader = Callable[[Callable[[sqlite3.Connection], Any]], Any]

_LOG_SELECT: Final = "SELECT id, key, name, level, ts, message FROM logs"
_COLUMN_SELECT: Final = "rowid, key, task, name, state, started, ended, attempt, worker"
_FAILED_SQL: Final = "(" + ", ".join(f"'{s}'" for s in FAILED_STATES) + ")"
_ERROR_LEVELS_SQL: Final = "(" + ", ".join(f"'{s}'" for s in ERROR_LEVELS) + ")"
#: SQLite binds at most 32766 parameters per statement; stay far below.
_CHUNK: Final = 500
_NUMBERS: Final = re.compile(r"0x[0-9a-fA-F]+|\d+(?:\.\d+)?")


class SQLiteQueries:
    """Reads for pages that show many runs and big runs; ``read`` runs a function on the store's connection."""

    def __init__(self, read: Reader) -> None:
        self._read = read

    # -- flow runs -------------------------------------------------------------

    def page_flow_runs(self, where: RunFilter, cursor: str | None = None, limit: int = 50) -> RunsPage:
        """Flow runs matching ``where``, newest first, ``limit`` after ``cursor`` (an earlier page's)."""
        clauses, params = _run_clauses(where)
        if cursor is not None:
            started, rowid = _parse_cursor(cursor)
            clauses.append("(started < ? OR (started = ? AND rowid < ?))")
            params.extend((started, started, rowid))
        sql = f"SELECT rowid, {FLOW_COLUMNS} FROM flow_runs {_where(clauses)} ORDER BY started DESC, rowid DESC LIMIT ?"
        params.append(max(limit, 1) + 1)
        rows = self._read(lambda conn: conn.execute(sql, params).fetchall())
        more = len(rows) > max(limit, 1)
        rows = rows[: max(limit, 1)]
        runs = [flow_row(row[1:]) for row in rows]
        next_cursor = f"{rows[-1][5]!r}:{rows[-1][0]}" if more and rows else None
        return RunsPage(runs, next_cursor)

    def count_flow_runs(self, where: RunFilter) -> dict[str, int]:
        """How many runs match ``where`` in each state (its ``states`` are ignored: the counts are the choice)."""
        clauses, params = _run_clauses(RunFilter(where.flow, (), where.since, where.until, where.params))
        sql = f"SELECT state, COUNT(*) FROM flow_runs {_where(clauses)} GROUP BY state"
        return dict(self._read(lambda conn: conn.execute(sql, params).fetchall()))

    def flow_names(self) -> list[str]:
        """Every flow name the store has runs of, sorted."""
        sql = "SELECT DISTINCT flow_name FROM flow_runs ORDER BY flow_name"
        return [name for (name,) in self._read(lambda conn: conn.execute(sql).fetchall())]

    def flow_runs(self, run_ids: Sequence[str]) -> list[FlowRunRow]:
        """The runs with these exact ids, in the order given (unknown ids are left out)."""
        found: dict[str, FlowRunRow] = {}

        def work(conn: sqlite3.Connection) -> None:
            for chunk in _chunks(list(run_ids)):
                marks = ", ".join("?" * len(chunk))
                for row in conn.execute(f"SELECT {FLOW_COLUMNS} FROM flow_runs WHERE run_id IN ({marks})", chunk):
                    found[row[0]] = flow_row(row)

        self._read(work)
        return [found[r] for r in run_ids if r in found]

    def run_info(self, run_id: str) -> RunInfo | None:
        """Where the run ran and how to run it again; None if there is no such run."""
        sql = f"SELECT {', '.join(INFO_FIELDS)} FROM flow_runs WHERE run_id = ?"
        row = self._read(lambda conn: conn.execute(sql, (run_id,)).fetchone())
        return None if row is None else info_row(row)

    def last_flow_transition(self) -> int:
        """The highest flow transition id (0 for an empty store): where a live list starts."""
        return self._int("SELECT COALESCE(MAX(id), 0) FROM flow_transitions", ())

    def flow_changes(self, after: int, where: RunFilter | None = None, limit: int = 1_000) -> FlowChanges:
        """The runs with flow transitions after id ``after`` (at most ``limit`` transitions), as they are now."""

        def work(conn: sqlite3.Connection) -> FlowChanges:
            with _snapshot(conn):
                rows = conn.execute(
                    "SELECT id, run_id FROM flow_transitions WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
                ).fetchall()
                if not rows:
                    return FlowChanges([], frozenset(), after)
                ids = list(dict.fromkeys(run_id for _, run_id in rows))
                runs: dict[str, FlowRunRow] = {}
                matching: set[str] = set()
                clauses, params = _run_clauses(where or RunFilter())
                for chunk in _chunks(ids):
                    marks = ", ".join("?" * len(chunk))
                    sql = f"SELECT {FLOW_COLUMNS} FROM flow_runs WHERE run_id IN ({marks})"
                    runs.update((row[0], flow_row(row)) for row in conn.execute(sql, chunk))
                    test = f"SELECT run_id FROM flow_runs {_where([f'run_id IN ({marks})', *clauses])}"
                    matching.update(r for (r,) in conn.execute(test, [*chunk, *params]))
                kept = [runs[r] for r in ids if r in runs]
                return FlowChanges(kept, frozenset(matching), rows[-1][0], more=len(rows) >= limit)

        result: FlowChanges = self._read(work)
        return result

    # -- one run's task runs ---------------------------------------------------

    def task_columns(self, run_id: str) -> TaskColumns:
        """Every task run of ``run_id`` as columns, with the transition id they reflect.

        Rows come in primary-key order (no sort: readers place them by id);
        the Retrying transitions are looked up only for the task runs that
        retried (attempt > 1, or Retrying now), by key.
        """

        def work(conn: sqlite3.Connection) -> TaskColumns:
            with _snapshot(conn):
                (last,) = conn.execute(
                    "SELECT COALESCE(MAX(id), 0) FROM task_transitions WHERE run_id = ?", (run_id,)
                ).fetchone()
                rows = conn.execute(f"SELECT {_COLUMN_SELECT} FROM task_runs WHERE run_id = ?", (run_id,)).fetchall()
                retried = {row[1]: row[0] for row in rows if row[7] > 1 or row[4] == "Retrying"}
                retries = _retries(conn, run_id, list(retried), retried)
            return _columns(rows, retries, int(last))

        result: TaskColumns = self._read(work)
        return result

    def task_changes(self, run_id: str, after: int, limit: int = 5_000) -> TaskColumns:
        """The task runs of ``run_id`` changed by its transitions after id ``after`` (at most ``limit``)."""

        def work(conn: sqlite3.Connection) -> TaskColumns:
            with _snapshot(conn):
                changes = conn.execute(
                    "SELECT id, key, state, ts FROM task_transitions WHERE run_id = ? AND id > ? ORDER BY id LIMIT ?",
                    (run_id, after, limit),
                ).fetchall()
                if not changes:
                    return TaskColumns(last_id=after)
                keys = list(dict.fromkeys(key for _, key, _, _ in changes))
                rows: list[Any] = []
                for chunk in _chunks(keys):
                    marks = ", ".join("?" * len(chunk))
                    sql = f"SELECT {_COLUMN_SELECT} FROM task_runs WHERE run_id = ? AND key IN ({marks})"
                    rows.extend(conn.execute(sql, (run_id, *chunk)))
            rowid_of = {row[1]: row[0] for row in rows}
            retries = [(rowid_of[key], ts) for _, key, state, ts in changes if state == "Retrying" and key in rowid_of]
            columns = _columns(rows, retries, int(changes[-1][0]))
            columns.more = len(changes) >= limit
            return columns

        result: TaskColumns = self._read(work)
        return result

    def task_run(self, run_id: str, key: str) -> TaskRunRow | None:
        """One task run by its key; None if the run has no such key."""
        sql = f"SELECT {TASK_COLUMNS} FROM task_runs WHERE run_id = ? AND key = ?"
        row = self._read(lambda conn: conn.execute(sql, (run_id, key)).fetchone())
        return None if row is None else TaskRunRow(*row)

    def task_key(self, run_id: str, row_id: int) -> str | None:
        """The key of the task run with store row id ``row_id`` (the ids ``task_columns`` gives)."""
        sql = "SELECT key FROM task_runs WHERE rowid = ? AND run_id = ?"
        row = self._read(lambda conn: conn.execute(sql, (row_id, run_id)).fetchone())
        return None if row is None else str(row[0])

    def graph(self, run_id: str) -> list[GraphNode]:
        """The run's compiled graph, every flush's nodes in order (empty if none was recorded)."""
        sql = "SELECT graph FROM task_graphs WHERE run_id = ? ORDER BY id"
        blobs = self._read(lambda conn: [blob for (blob,) in conn.execute(sql, (run_id,))])
        return decode_graph(blobs)

    def graph_flushes(self, run_id: str) -> int:
        """How many flushes of the run's graph are recorded (what changes when its graph grows)."""
        return self._int("SELECT COUNT(*) FROM task_graphs WHERE run_id = ?", (run_id,))

    def graph_totals(self, run_id: str) -> dict[str, int]:
        """How many nodes of each task name the run's graph has so far (without decoding it)."""
        sql = "SELECT totals FROM task_graphs WHERE run_id = ? ORDER BY id"
        totals: dict[str, int] = {}
        for (text,) in self._read(lambda conn: conn.execute(sql, (run_id,)).fetchall()):
            for task, count in json.loads(text).items():
                totals[task] = totals.get(task, 0) + int(count)
        return totals

    def error_groups(self, run_id: str) -> list[ErrorGroup]:
        """The run's failed task runs grouped by task, error type and message shape; biggest group first."""
        sql = (
            "SELECT task, COALESCE(error_type, ''), COALESCE(error_message, message, ''), key, name, state, ended"
            f" FROM task_runs WHERE run_id = ? AND state IN {_FAILED_SQL} ORDER BY rowid"
        )
        rows = self._read(lambda conn: conn.execute(sql, (run_id,)).fetchall())
        groups: dict[tuple[str, str, str], list[Any]] = {}
        for task, error_type, message, key, name, state, ended in rows:
            shape = _NUMBERS.sub("N", message)
            group = groups.get((task, error_type, shape))
            if group is None:
                groups[(task, error_type, shape)] = [message, 1, {message}, {state}, key, name, ended, ended]
                continue
            group[1] += 1
            group[2].add(message)
            group[3].add(state)
            if ended is not None:
                group[6] = ended if group[6] is None else min(group[6], ended)
                group[7] = ended if group[7] is None else max(group[7], ended)
        result = [
            ErrorGroup(task, etype, shape, g[0], g[1], len(g[2]), tuple(sorted(g[3])), g[4], g[5], g[6], g[7])
            for (task, etype, shape), g in groups.items()
        ]
        result.sort(key=lambda g: (-g.count, g.task, g.error_type, g.shape))
        return result

    def last_task_transition(self, run_id: str) -> int:
        """The highest task transition id of ``run_id`` (0 if none)."""
        return self._int("SELECT COALESCE(MAX(id), 0) FROM task_transitions WHERE run_id = ?", (run_id,))

    def task_transitions(self, run_id: str, key: str) -> list[TransitionRow]:
        """Every state change of one task run, in the order they were recorded."""
        sql = (
            "SELECT run_id, key, state, ts, attempt, worker, message, error_type, error_message, traceback"
            " FROM task_transitions WHERE run_id = ? AND key = ? ORDER BY id"
        )
        rows = self._read(lambda conn: conn.execute(sql, (run_id, key)).fetchall())
        return [TransitionRow(*row) for row in rows]

    # -- logs ------------------------------------------------------------------

    def count_logs(self, run_id: str, where: LogFilter) -> int:
        """How many of the run's log lines match ``where``."""
        clauses, params = _log_clauses(run_id, where)
        return self._int(f"SELECT COUNT(*) FROM logs {_where(clauses)}", params)

    def log_page(self, run_id: str, where: LogFilter, offset: int, limit: int) -> list[LogLine]:
        """The matching lines ``offset`` to ``offset + limit`` of the run, oldest first."""
        clauses, params = _log_clauses(run_id, where)
        sql = f"{_LOG_SELECT} {_where(clauses)} ORDER BY id LIMIT ? OFFSET ?"
        rows = self._read(lambda conn: conn.execute(sql, [*params, max(limit, 0), max(offset, 0)]).fetchall())
        return [LogLine(*row) for row in rows]

    def log_window(self, run_id: str, where: LogFilter, offset: int, limit: int) -> LogWindow:
        """The matching lines ``offset`` to ``offset + limit``, with the total and the run's last line id."""
        clauses, params = _log_clauses(run_id, where)

        def work(conn: sqlite3.Connection) -> LogWindow:
            with _snapshot(conn):
                (last,) = conn.execute("SELECT COALESCE(MAX(id), 0) FROM logs WHERE run_id = ?", (run_id,)).fetchone()
                (total,) = conn.execute(f"SELECT COUNT(*) FROM logs {_where(clauses)}", params).fetchone()
                sql = f"{_LOG_SELECT} {_where(clauses)} ORDER BY id LIMIT ? OFFSET ?"
                rows = conn.execute(sql, [*params, max(limit, 0), max(offset, 0)]).fetchall()
            return LogWindow([LogLine(*row) for row in rows], max(offset, 0), int(total), int(last))

        result: LogWindow = self._read(work)
        return result

    def logs_after(self, run_id: str, where: LogFilter, after: int, limit: int = 5_000) -> list[LogLine]:
        """The matching lines with an id above ``after``, oldest first, at most ``limit``."""
        clauses, params = _log_clauses(run_id, where)
        clauses.append("id > ?")
        sql = f"{_LOG_SELECT} {_where(clauses)} ORDER BY id LIMIT ?"
        rows = self._read(lambda conn: conn.execute(sql, [*params, after, max(limit, 1)]).fetchall())
        return [LogLine(*row) for row in rows]

    def first_error_offset(self, run_id: str, where: LogFilter) -> int | None:
        """The offset, among the lines matching ``where``, of the first ERROR or CRITICAL one (None: none)."""
        clauses, params = _log_clauses(run_id, where)

        def work(conn: sqlite3.Connection) -> int | None:
            with _snapshot(conn):
                first = conn.execute(
                    f"SELECT MIN(id) FROM logs {_where([*clauses, f'level IN {_ERROR_LEVELS_SQL}'])}", params
                ).fetchone()[0]
                if first is None:
                    return None
                before = conn.execute(f"SELECT COUNT(*) FROM logs {_where([*clauses, 'id < ?'])}", [*params, first])
                return int(before.fetchone()[0])

        result: int | None = self._read(work)
        return result

    def last_log(self, run_id: str) -> int:
        """The highest log line id of ``run_id`` (0 if none)."""
        return self._int("SELECT COALESCE(MAX(id), 0) FROM logs WHERE run_id = ?", (run_id,))

    def log_levels(self, run_id: str) -> dict[str, int]:
        """How many log lines of each level the run has."""
        sql = "SELECT level, COUNT(*) FROM logs WHERE run_id = ? GROUP BY level"
        return dict(self._read(lambda conn: conn.execute(sql, (run_id,)).fetchall()))

    def data_version(self) -> int:
        """A number that changes whenever another connection committed to the store since the last call.

        SQLite's ``PRAGMA data_version``: per connection, and cheap (it reads
        the WAL index in shared memory), so a live view can poll it often and
        query only when something changed.
        """
        return self._int("PRAGMA data_version", ())

    def _int(self, sql: str, params: Sequence[Any]) -> int:
        return int(self._read(lambda conn: conn.execute(sql, params).fetchone()[0]))


# -- SQL building -------------------------------------------------------------


def _where(clauses: Sequence[str]) -> str:
    return f"WHERE {' AND '.join(clauses)}" if clauses else ""


def _run_clauses(where: RunFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if where.flow:
        clauses.append("flow_name = ?")
        params.append(where.flow)
    if where.states:
        clauses.append(f"state IN ({', '.join('?' * len(where.states))})")
        params.extend(where.states)
    if where.since is not None:
        clauses.append("started >= ?")
        params.append(where.since)
    if where.until is not None:
        clauses.append("started < ?")
        params.append(where.until)
    for name, raw in where.params:
        if '"' in name or not name:
            message = f"cannot filter on parameter {name!r}: a parameter name must be non-empty, without '\"'"
            raise StoreError(message)
        clauses.append("parameters -> ? IN (?, ?)")
        params.extend((f'$."{name}"', *_json_candidates(raw)))
    return clauses, params


def _json_candidates(raw: str) -> tuple[str, str]:
    """The JSON texts a typed value may be stored as: the string itself, and what it parses as."""
    as_string = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
    try:
        parsed = json.dumps(json.loads(raw), ensure_ascii=False, separators=(",", ":"))
    except ValueError:
        parsed = as_string
    return as_string, parsed


def _parse_cursor(cursor: str) -> tuple[float, int]:
    started, sep, rowid = cursor.rpartition(":")
    try:
        if not sep:
            raise ValueError(cursor)
        return float(started), int(rowid)
    except ValueError:
        message = f"bad run list cursor {cursor!r}: use the next_cursor a page returned"
        raise StoreError(message) from None


def _log_clauses(run_id: str, where: LogFilter) -> tuple[list[str], list[Any]]:
    clauses = ["run_id = ?"]
    params: list[Any] = [run_id]
    if where.levels:
        clauses.append(f"level IN ({', '.join('?' * len(where.levels))})")
        params.extend(where.levels)
    if where.task:
        clauses.append("(name = ? OR key = ? OR key IN (SELECT key FROM task_runs WHERE run_id = ? AND task = ?))")
        params.extend((where.task, where.task, run_id, where.task))
    if where.search:
        clauses.append("instr(lower(message), lower(?)) > 0")
        params.append(where.search)
    return clauses, params


def _retries(
    conn: sqlite3.Connection, run_id: str, keys: list[str], rowid_of: dict[str, int]
) -> list[tuple[int, float]]:
    """The Retrying transitions of these task runs, as (row id, time), oldest first."""
    found: list[tuple[int, str, float]] = []
    for chunk in _chunks(keys):
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT id, key, ts FROM task_transitions WHERE run_id = ? AND key IN ({marks}) AND state = 'Retrying'"
        found.extend(conn.execute(sql, (run_id, *chunk)))
    found.sort()
    return [(rowid_of[key], ts) for _, key, ts in found]


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]


def _columns(rows: Sequence[Sequence[Any]], retries: list[tuple[int, float]], last_id: int) -> TaskColumns:
    columns = TaskColumns(retries=retries, last_id=last_id)
    if rows:
        ids, keys, tasks, names, states, starts, ends, attempts, workers = (list(c) for c in zip(*rows))
        columns.ids, columns.keys, columns.tasks, columns.names, columns.states = ids, keys, tasks, names, states
        columns.starts, columns.ends, columns.attempts, columns.workers = starts, ends, attempts, workers
    return columns


@contextmanager
def _snapshot(conn: sqlite3.Connection) -> Iterator[None]:
    """One read transaction: every statement inside sees the same committed state (WAL snapshot)."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
