"""The store's record of persisted task results and of resumed runs (schema version 2's tables).

Workers write result files (orchestrator.worker.results); what the store knows
of them arrives with each task's final state event, as its ``result`` field,
and is written in the same transaction as the event (``record_results``, a
hook of ``SQLiteStore.record_task_events``). So a remote worker never needs
the driver's store, and a run whose driver was killed left everything a
resume needs: which task runs completed, under which cache keys, and where
their results are.

``SQLiteResults`` is the part of ``SQLiteStore`` that reads and writes these
tables, composed into it as ``store.results``; ``ResultIndex`` is the
protocol readers (the CLI, the engine) rely on.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, TypeVar

__all__ = ["CacheEntryRow", "ResultIndex", "RunOrigin", "SQLiteResults", "record_results"]

_T = TypeVar("_T")
Work = Callable[[Callable[[sqlite3.Connection], _T]], _T]

_UPSERT_ENTRY: Final = """
INSERT INTO cache_entries (cache_key, task, location, checksum, size, created, expires, run_id, key)
VALUES (:key, :task, :location, :checksum, :size, :created, :expires, :run, :task_key)
ON CONFLICT (cache_key) DO UPDATE SET
    task = excluded.task, location = excluded.location, checksum = excluded.checksum,
    size = excluded.size, created = excluded.created, expires = excluded.expires,
    run_id = excluded.run_id, key = excluded.key
WHERE excluded.created >= cache_entries.created
"""

_UPSERT_TASK_RESULT: Final = """
INSERT INTO task_results (run_id, key, cache_key, location, hit)
VALUES (:this_run, :task_key, :key, :location, :hit)
ON CONFLICT (run_id, key) DO UPDATE SET
    cache_key = excluded.cache_key, location = excluded.location, hit = excluded.hit
"""

_ENTRY_COLUMNS: Final = "cache_key, task, location, checksum, size, created, expires, run_id, key"


def record_results(conn: sqlite3.Connection, events: Sequence[Mapping[str, Any]]) -> None:
    """Record the ``result`` of every task event that carries one (inside the caller's transaction)."""
    rows = []
    for event in events:
        result = event.get("result")
        if not result:
            continue
        rows.append(
            {
                "key": result["key"],
                "task": event.get("task") or result.get("task") or "",
                "location": result["location"],
                "checksum": result.get("checksum") or "",
                "size": int(result.get("size") or 0),
                "created": float(result.get("created") or event["ts"]),
                "expires": result.get("expires"),
                # The entry belongs to the run that wrote the file; the task result to this run.
                "run": result.get("run") or event["run"],
                "task_key": event["key"],
                "this_run": event["run"],
                "hit": event.get("hit"),
            }
        )
    if rows:
        conn.executemany(_UPSERT_ENTRY, rows)
        conn.executemany(_UPSERT_TASK_RESULT, rows)


@dataclass(frozen=True, slots=True)
class CacheEntryRow:
    """One persisted result as the store knows it; ``expires`` is None for results that never expire."""

    cache_key: str
    task: str
    location: str
    checksum: str
    size: int
    created: float
    expires: float | None
    run_id: str
    key: str


@dataclass(frozen=True, slots=True)
class RunOrigin:
    """Where a flow run came from: the run it resumed, and the ``PATH:FLOW`` the CLI ran."""

    run_id: str
    resumed_from: str | None
    target: str | None


class ResultIndex(Protocol):
    """What readers need of the persisted-result records; ``store.results`` of every ``RunStore``."""

    def record_origin(self, run_id: str, resumed_from: str | None = None, target: str | None = None) -> None:
        """Note the run ``run_id`` resumed and/or the ``PATH:FLOW`` it ran (each kept once given)."""
        ...

    def origin(self, run_id: str) -> RunOrigin | None:
        """What ``record_origin`` noted for ``run_id``, or None."""
        ...

    def reusable(self, run_id: str) -> dict[str, dict[str, str]]:
        """Per task name, cache key -> location of every result a Completed or Cached task run of ``run_id`` has."""
        ...

    def hit_counts(self, run_id: str) -> dict[str, int]:
        """How many task runs of ``run_id`` wrote a result (``"written"``), hit the cache, or reused a result."""
        ...

    def entries(self, task: str | None = None, created_before: float | None = None) -> list[CacheEntryRow]:
        """Persisted results, newest first; of one task name, and/or written before a time."""
        ...

    def delete_entries(self, cache_keys: Sequence[str]) -> int:
        """Forget these results (their files are the caller's); how many were known."""
        ...


class SQLiteResults:
    """``ResultIndex`` over the SQLite store's connection, through its ``_read`` / ``_write``."""

    def __init__(self, read: Work[Any], write: Work[Any]) -> None:
        self._read = read
        self._write = write

    def record_origin(self, run_id: str, resumed_from: str | None = None, target: str | None = None) -> None:
        sql = (
            "INSERT INTO flow_run_origins (run_id, resumed_from, target) VALUES (?, ?, ?)"
            " ON CONFLICT (run_id) DO UPDATE SET"
            " resumed_from = COALESCE(excluded.resumed_from, resumed_from), target = COALESCE(excluded.target, target)"
        )
        self._write(lambda conn: conn.execute(sql, (run_id, resumed_from, target)))

    def origin(self, run_id: str) -> RunOrigin | None:
        sql = "SELECT run_id, resumed_from, target FROM flow_run_origins WHERE run_id = ?"
        row = self._read(lambda conn: conn.execute(sql, (run_id,)).fetchone())
        return RunOrigin(*row) if row is not None else None

    def reusable(self, run_id: str) -> dict[str, dict[str, str]]:
        sql = (
            "SELECT t.task, r.cache_key, r.location FROM task_results r"
            " JOIN task_runs t ON t.run_id = r.run_id AND t.key = r.key"
            " WHERE r.run_id = ? AND t.state IN ('Completed', 'Cached')"
        )
        found: dict[str, dict[str, str]] = {}
        for task, cache_key, location in self._read(lambda conn: conn.execute(sql, (run_id,)).fetchall()):
            found.setdefault(task, {})[cache_key] = location
        return found

    def hit_counts(self, run_id: str) -> dict[str, int]:
        sql = "SELECT COALESCE(hit, 'written'), COUNT(*) FROM task_results WHERE run_id = ? GROUP BY 1"
        return dict(self._read(lambda conn: conn.execute(sql, (run_id,)).fetchall()))

    def entries(self, task: str | None = None, created_before: float | None = None) -> list[CacheEntryRow]:
        clauses: list[str] = []
        params: list[Any] = []
        if task is not None:
            clauses.append("task = ?")
            params.append(task)
        if created_before is not None:
            clauses.append("created < ?")
            params.append(created_before)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = f"SELECT {_ENTRY_COLUMNS} FROM cache_entries{where} ORDER BY created DESC"
        return [CacheEntryRow(*row) for row in self._read(lambda conn: conn.execute(sql, params).fetchall())]

    def delete_entries(self, cache_keys: Sequence[str]) -> int:
        keys = [(k,) for k in cache_keys]

        def work(conn: sqlite3.Connection) -> int:
            before = conn.total_changes
            conn.executemany("DELETE FROM cache_entries WHERE cache_key = ?", keys)
            return conn.total_changes - before

        return int(self._write(work)) if keys else 0
