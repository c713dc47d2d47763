"""Tag concurrency limits kept in the run store: ``daskflow concurrency set TAG N | ls | rm``.

Every flow run loads them when it starts (orchestrator.engine.run_settings),
so runs sharing a store share its limits; the slots themselves are held on
the cluster, never here. ``SQLiteLimits`` is composed into ``SQLiteStore``
as ``store.limits``; ``LimitTable`` is the protocol readers rely on.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Protocol

from .errors import StoreError
from .results import Work

__all__ = ["LimitTable", "SQLiteLimits"]


class LimitTable(Protocol):
    """Tag -> slot counts; ``store.limits`` of every ``RunStore``."""

    def set(self, tag: str, slots: int, now: float) -> None:
        """Limit tasks tagged ``tag`` to ``slots`` running at once (a whole number >= 1)."""
        ...

    def remove(self, tag: str) -> bool:
        """Drop the limit of ``tag``; False if it had none."""
        ...

    def all(self) -> dict[str, int]:
        """Every limit, by tag."""
        ...

    def rows(self) -> list[tuple[str, int, float]]:
        """Every limit as (tag, slots, when it was set), by tag."""
        ...


class SQLiteLimits:
    """``LimitTable`` over the SQLite store's connection, through its ``_read`` / ``_write``."""

    def __init__(self, read: Work[Any], write: Work[Any]) -> None:
        self._read = read
        self._write = write

    def set(self, tag: str, slots: int, now: float) -> None:
        if not tag or isinstance(slots, bool) or not isinstance(slots, int) or slots < 1:
            raise StoreError(f"a concurrency limit needs a tag and a whole number of slots >= 1, got {tag!r}={slots!r}")
        sql = (
            "INSERT INTO concurrency_limits (tag, slots, updated) VALUES (?, ?, ?)"
            " ON CONFLICT (tag) DO UPDATE SET slots = excluded.slots, updated = excluded.updated"
        )
        self._write(lambda conn: conn.execute(sql, (tag, slots, now)))

    def remove(self, tag: str) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            return conn.execute("DELETE FROM concurrency_limits WHERE tag = ?", (tag,)).rowcount > 0

        return bool(self._write(work))

    def all(self) -> dict[str, int]:
        return {tag: slots for tag, slots, _ in self.rows()}

    def rows(self) -> list[tuple[str, int, float]]:
        sql = "SELECT tag, slots, updated FROM concurrency_limits ORDER BY tag"
        return [tuple(row) for row in self._read(lambda conn: conn.execute(sql).fetchall())]
