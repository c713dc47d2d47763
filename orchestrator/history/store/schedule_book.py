"""Schedules, their claimed ticks, scheduled runs' start, and the ``serve`` lease, in the run store.

What makes "no duplicate, no missed run" hold lives here, in transactions:

* ``register`` upserts a schedule by its id (derived from the flow, spec,
  zone, anchor and parameters by orchestrator.schedules). A schedule seen
  before keeps its cursor, its registration time and its stored anchor, so
  a restart or redeploy continues it; stopping a server writes nothing, so
  it never pauses a schedule.
* ``claim_ticks`` is one transaction that checks the caller still holds the
  serve lease, inserts each ``(schedule_id, tick)`` under the primary key
  (a tick someone already claimed is skipped), creates each tick's flow run
  as Pending (id derived from the schedule and tick), stores its notify
  rules, and moves the schedule's cursor past every tick handled or skipped.
* ``start_pending`` turns a Pending scheduled run Running, and fails if it is
  not Pending any more, so a tick's run can start only once, whoever tries.
* ``acquire_lease`` makes one ``serve`` process the active one: the lease row
  names its owner, pid and host, and a heartbeat; another process takes it
  over when it expired, or at once when its holder is on this host and its
  pid is gone.

``SQLiteScheduleBook`` wraps them for callers outside a transaction;
``SQLiteStore.schedules`` returns one.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from .convert import dump_parameters
from .errors import LeaseLost, RunAlreadyStarted
from .outbox import Work, enqueue_if_late, enqueue_state, store_rules

__all__ = [
    "LeaseRow",
    "SQLiteScheduleBook",
    "ScheduleRow",
    "TickClaim",
    "TickRow",
    "start_pending",
]

_LEASE: Final = "serve"
_SCHEDULE_COLUMNS: Final = (
    "schedule_id, flow_name, kind, expression, timezone, anchor, parameters, catchup, max_catchup,"
    " max_active_runs, source, registered, updated, cursor, skipped"
)


@dataclasses.dataclass(frozen=True, slots=True)
class ScheduleRow:
    """A schedule as stored: its spec, policies, where its cursor stands, and how many ticks were skipped."""

    schedule_id: str
    flow_name: str
    kind: str
    expression: str
    timezone: str
    anchor: float | None
    parameters: dict[str, Any]
    catchup: str
    max_catchup: int | None
    max_active_runs: int
    source: str | None
    registered: float
    updated: float
    cursor: float
    skipped: int


@dataclasses.dataclass(frozen=True, slots=True)
class TickRow:
    """One claimed tick and the run it owns; ``catchup`` if it was claimed after no server ran."""

    schedule_id: str
    tick: float
    run_id: str
    claimed: float
    claimed_by: str
    catchup: bool


@dataclasses.dataclass(frozen=True, slots=True)
class LeaseRow:
    """Which ``serve`` process is active: owner token, pid, host, when it took the lease and last renewed it."""

    owner: str
    pid: int
    host: str
    acquired: float
    heartbeat: float
    expires: float


@dataclasses.dataclass(frozen=True, slots=True)
class TickClaim:
    """A tick to claim: its instant, its run's id, and whether it is a catch-up."""

    tick: float
    run_id: str
    catchup: bool = False


def _schedule_row(row: Sequence[Any]) -> ScheduleRow:
    values = list(row)
    values[6] = json.loads(values[6])
    return ScheduleRow(*values)


def _register(conn: sqlite3.Connection, fields: Mapping[str, Any], now: float) -> ScheduleRow:
    conn.execute(
        f"INSERT INTO schedules ({_SCHEDULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)"
        " ON CONFLICT (schedule_id) DO UPDATE SET catchup = excluded.catchup,"
        " max_catchup = excluded.max_catchup, max_active_runs = excluded.max_active_runs,"
        " source = excluded.source, updated = excluded.updated",
        (
            fields["schedule_id"],
            fields["flow_name"],
            fields["kind"],
            fields["expression"],
            fields["timezone"],
            fields.get("anchor"),
            dump_parameters(fields.get("parameters") or {}, fields["schedule_id"]),
            fields["catchup"],
            fields.get("max_catchup"),
            fields["max_active_runs"],
            fields.get("source"),
            now,
            now,
            fields.get("cursor", now),
        ),
    )
    row = conn.execute(
        f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE schedule_id = ?", (fields["schedule_id"],)
    ).fetchone()
    return _schedule_row(row)


def _holds_lease(conn: sqlite3.Connection, owner: str, now: float) -> bool:
    row = conn.execute("SELECT owner, expires FROM serve_lease WHERE name = ?", (_LEASE,)).fetchone()
    return row is not None and row[0] == owner and row[1] >= now


def _claim_ticks(
    conn: sqlite3.Connection,
    schedule: ScheduleRow,
    claims: Sequence[TickClaim],
    cursor: float,
    skipped: int,
    now: float,
    owner: str,
    rules: Sequence[Mapping[str, Any]],
) -> list[TickClaim]:
    if not _holds_lease(conn, owner, now):
        message = f"this serve process ({owner}) no longer holds the serve lease; another one took over"
        raise LeaseLost(message)
    params_json = dump_parameters(schedule.parameters, schedule.schedule_id)
    claimed: list[TickClaim] = []
    for claim in claims:
        cursor_row = conn.execute(
            "INSERT INTO schedule_ticks (schedule_id, tick, run_id, claimed, claimed_by, catchup)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (schedule.schedule_id, claim.tick, claim.run_id, now, owner, int(claim.catchup)),
        )
        if not cursor_row.rowcount:
            continue  # claimed before: its run exists already
        conn.execute(
            "INSERT INTO flow_runs (run_id, flow_name, state, parameters, started, schedule_id, tick)"
            " VALUES (?, ?, 'Pending', ?, ?, ?, ?)",
            (claim.run_id, schedule.flow_name, params_json, now, schedule.schedule_id, claim.tick),
        )
        conn.execute(
            "INSERT INTO flow_transitions (run_id, state, ts, message) VALUES (?, 'Pending', ?, ?)",
            (claim.run_id, now, "claimed by serve" + (" (catch-up)" if claim.catchup else "")),
        )
        store_rules(conn, claim.run_id, rules)
        claimed.append(claim)
    conn.execute(
        "UPDATE schedules SET cursor = MAX(cursor, ?), skipped = skipped + ? WHERE schedule_id = ?",
        (cursor, skipped, schedule.schedule_id),
    )
    return claimed


def start_pending(
    conn: sqlite3.Connection,
    run_id: str,
    flow_name: str,
    params_json: str,
    started: float,
    host: str | None,
    pid: int | None,
) -> None:
    """Turn the Pending scheduled run ``run_id`` Running; ``RunAlreadyStarted`` if it is not Pending."""
    cursor = conn.execute(
        "UPDATE flow_runs SET state = 'Running', parameters = ?, started = ?, heartbeat = ?, host = ?, pid = ?"
        " WHERE run_id = ? AND state = 'Pending'",
        (params_json, started, started, host, pid, run_id),
    )
    if not cursor.rowcount:
        row = conn.execute("SELECT state FROM flow_runs WHERE run_id = ?", (run_id,)).fetchone()
        message = (
            f"flow run {run_id!r} of {flow_name!r} already exists in the run store ({row[0] if row else 'gone'}), "
            "so it cannot start again: every flow run needs a new id, and a scheduled tick's run starts only once"
        )
        raise RunAlreadyStarted(message)
    conn.execute("INSERT INTO flow_transitions (run_id, state, ts) VALUES (?, 'Running', ?)", (run_id, started))
    (tick,) = conn.execute("SELECT tick FROM flow_runs WHERE run_id = ?", (run_id,)).fetchone()
    if tick is not None:
        enqueue_if_late(conn, run_id, flow_name, tick, started)


def _acquire_lease(
    conn: sqlite3.Connection,
    owner: str,
    pid: int,
    host: str,
    now: float,
    ttl: float,
    holder_gone: Callable[[LeaseRow], bool],
) -> tuple[bool, LeaseRow | None]:
    row = conn.execute(
        "SELECT owner, pid, host, acquired, heartbeat, expires FROM serve_lease WHERE name = ?", (_LEASE,)
    ).fetchone()
    current = LeaseRow(*row) if row is not None else None
    if current is not None and current.owner != owner and current.expires >= now and not holder_gone(current):
        return False, current
    acquired = current.acquired if current is not None and current.owner == owner else now
    conn.execute(
        "INSERT INTO serve_lease (name, owner, pid, host, acquired, heartbeat, expires) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, pid = excluded.pid, host = excluded.host,"
        " acquired = excluded.acquired, heartbeat = excluded.heartbeat, expires = excluded.expires",
        (_LEASE, owner, pid, host, acquired, now, now + ttl),
    )
    return True, LeaseRow(owner, pid, host, acquired, now, now + ttl)


class SQLiteScheduleBook:
    """The schedules of one ``SQLiteStore``; see the module docstring."""

    def __init__(self, write: Work[Any], read: Work[Any]) -> None:
        self._write = write
        self._read = read

    def register(self, fields: Mapping[str, Any], now: float) -> ScheduleRow:
        """Record a schedule (or update the policies of a known one) and return it as stored.

        ``fields`` has the ``ScheduleRow`` names; a known schedule keeps its
        cursor, anchor and registration time. ``cursor`` defaults to ``now``.
        """
        return self._write(lambda conn: _register(conn, fields, now))  # type: ignore[no-any-return]

    def claim_ticks(
        self,
        schedule: ScheduleRow,
        claims: Sequence[TickClaim],
        cursor: float,
        skipped: int,
        now: float,
        owner: str,
        rules: Sequence[Mapping[str, Any]] = (),
    ) -> list[TickClaim]:
        """Claim ticks and move the cursor in one transaction; returns the claims that were new.

        Raises ``LeaseLost`` (claiming nothing) unless ``owner`` holds the serve lease at ``now``.
        """
        return self._write(  # type: ignore[no-any-return]
            lambda conn: _claim_ticks(conn, schedule, claims, cursor, skipped, now, owner, rules)
        )

    def fail_pending(self, run_id: str, now: float, message: str) -> bool:
        """Mark a Pending scheduled run Failed (it could not start); False if it was not Pending."""

        def work(conn: sqlite3.Connection) -> bool:
            cursor = conn.execute(
                "UPDATE flow_runs SET state = 'Failed', ended = ?, message = ? WHERE run_id = ? AND state = 'Pending'",
                (now, message, run_id),
            )
            if not cursor.rowcount:
                return False
            conn.execute(
                "INSERT INTO flow_transitions (run_id, state, ts, message) VALUES (?, 'Failed', ?, ?)",
                (run_id, now, message),
            )
            enqueue_state(conn, run_id, "Failed", now, message)
            return True

        return self._write(work)  # type: ignore[no-any-return]

    def pending_runs(self, schedule_ids: Sequence[str]) -> list[tuple[str, str, float]]:
        """``(run_id, schedule_id, tick)`` of the claimed ticks whose run has not started, oldest tick first."""
        if not schedule_ids:
            return []
        marks = ", ".join("?" * len(schedule_ids))
        sql = (
            "SELECT run_id, schedule_id, tick FROM flow_runs"
            f" WHERE state = 'Pending' AND schedule_id IN ({marks}) ORDER BY tick"
        )
        rows = self._read(lambda conn: conn.execute(sql, tuple(schedule_ids)).fetchall())
        return [(r[0], r[1], float(r[2])) for r in rows]

    def get(self, schedule_id: str) -> ScheduleRow | None:
        """One schedule by id, or None."""
        sql = f"SELECT {_SCHEDULE_COLUMNS} FROM schedules WHERE schedule_id = ?"
        row = self._read(lambda conn: conn.execute(sql, (schedule_id,)).fetchone())
        return None if row is None else _schedule_row(row)

    def all(self) -> list[ScheduleRow]:
        """Every schedule, by flow name then id."""
        sql = f"SELECT {_SCHEDULE_COLUMNS} FROM schedules ORDER BY flow_name, schedule_id"
        return [_schedule_row(row) for row in self._read(lambda conn: conn.execute(sql).fetchall())]

    def ticks(self, schedule_id: str, limit: int = 0) -> list[TickRow]:
        """A schedule's claimed ticks, newest first (``limit`` <= 0: all)."""
        sql = (
            "SELECT schedule_id, tick, run_id, claimed, claimed_by, catchup FROM schedule_ticks"
            " WHERE schedule_id = ? ORDER BY tick DESC LIMIT ?"
        )
        rows = self._read(lambda conn: conn.execute(sql, (schedule_id, limit if limit > 0 else -1)).fetchall())
        return [TickRow(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in rows]

    def acquire_lease(
        self, owner: str, pid: int, host: str, now: float, ttl: float, holder_gone: Callable[[LeaseRow], bool]
    ) -> tuple[bool, LeaseRow | None]:
        """Take or renew the serve lease for ``ttl`` s; ``(False, holder)`` while another live process holds it.

        ``holder_gone(lease)`` says whether the current holder is known dead
        (same host, pid gone): then the lease is taken at once.
        """
        return self._write(  # type: ignore[no-any-return]
            lambda conn: _acquire_lease(conn, owner, pid, host, now, ttl, holder_gone)
        )

    def release_lease(self, owner: str) -> None:
        """Give the lease up (a server stopping cleanly), so a standby takes over at once."""
        self._write(lambda conn: conn.execute("DELETE FROM serve_lease WHERE name = ? AND owner = ?", (_LEASE, owner)))

    def lease(self) -> LeaseRow | None:
        """The current lease row, expired or not; None if no server ever held it or the last one released it."""
        sql = "SELECT owner, pid, host, acquired, heartbeat, expires FROM serve_lease WHERE name = ?"
        row = self._read(lambda conn: conn.execute(sql, (_LEASE,)).fetchone())
        return None if row is None else LeaseRow(*row)
