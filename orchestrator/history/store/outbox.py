"""The notification outbox: a run's notify rules, the notifications due, and every delivery attempt.

Functions over an open SQLite connection, called inside the store's write
transactions, so a notification is enqueued in the *same* transaction as
the state it reports:

* ``store_rules`` keeps a flow run's notify rules (orchestrator.records.notify)
  with the run, secrets left out, so whichever process records the run's end,
  or reaps its dead driver, knows whom to tell.
* ``enqueue_state`` is called by every flow-run state change
  (``SQLiteStore._set_flow_state``: the recorder's end, the reaper's Crashed):
  one row per matching rule, keyed by a hash of (rule, run, state, attempt)
  under a UNIQUE constraint, so recording a state twice, or two processes
  reaping one run, still gives one notification.
* ``enqueue_late`` / ``enqueue_overdue`` are ``daskflow serve``'s proactive
  checks: scheduled runs still Pending ``late_after`` s after their tick, and
  runs still Running ``not_completed_within`` s after they started.
* A deliverer ``claim``s due rows (a short hold, so two deliverers never send
  one row at once), sends, and records the ``attempt``; a failure schedules
  the next try with backoff until the rule's attempts are spent ("failed").
  A row whose secret is missing in the delivering process is ``defer``red
  without using an attempt, for a process that has it.

``SQLiteOutbox`` wraps these for callers outside a transaction (the
deliverer, the CLI); ``SQLiteStore.outbox`` returns one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from .convert import iso_utc, where_equal

__all__ = [
    "AttemptRow",
    "ClaimedNotification",
    "NotificationRow",
    "SQLiteOutbox",
    "enqueue",
    "enqueue_if_late",
    "enqueue_state",
    "notification_id",
    "store_rules",
]

_T = TypeVar("_T")
Work = Callable[[Callable[[sqlite3.Connection], _T]], _T]

#: How long a claimed row is held beyond the rule's timeout before another deliverer may take it.
_HOLD_MARGIN: Final = 30.0
#: The longest wait between two attempts, however many failed.
MAX_BACKOFF: Final = 300.0


@dataclasses.dataclass(frozen=True, slots=True)
class NotificationRow:
    """One notification in the outbox, with its rule's kind and (safe to show) target."""

    notification_id: str
    rule_id: str
    run_id: str
    state: str
    attempt: int
    flow_name: str
    message: str | None
    created: float
    status: str
    attempts: int
    next_attempt: float
    delivered: float | None
    last_error: str | None
    kind: str
    target: str


@dataclasses.dataclass(frozen=True, slots=True)
class ClaimedNotification:
    """A notification a deliverer holds, with what it needs to send it."""

    row: NotificationRow
    config: dict[str, Any]
    max_attempts: int
    backoff: float
    timeout: float
    payload: bytes | None
    schedule_id: str | None
    tick: float | None


@dataclasses.dataclass(frozen=True, slots=True)
class AttemptRow:
    """One delivery attempt: when, by which process, and how it went (``error`` has no secrets)."""

    notification_id: str
    attempt: int
    ts: float
    ok: bool
    status: str | None
    error: str | None
    process: str


def notification_id(rule_id: str, run_id: str, state: str, attempt: int) -> str:
    """The notification's id, also its webhooks' ``Idempotency-Key``: the same on every retry."""
    return hashlib.sha256(f"{rule_id}|{run_id}|{state}|{attempt}".encode()).hexdigest()[:24]


def store_rules(conn: sqlite3.Connection, run_id: str, rules: Sequence[Mapping[str, Any]]) -> None:
    """Keep ``run_id``'s notify rules (``NotifyRule.as_dict()``); the latest definition wins."""
    conn.executemany(
        "INSERT INTO notify_rules (run_id, rule_id, kind, target, config, states, late_after,"
        " not_completed_within, max_attempts, backoff, timeout, payload)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (run_id, rule_id) DO UPDATE SET kind = excluded.kind, target = excluded.target,"
        " config = excluded.config, states = excluded.states, late_after = excluded.late_after,"
        " not_completed_within = excluded.not_completed_within, max_attempts = excluded.max_attempts,"
        " backoff = excluded.backoff, timeout = excluded.timeout, payload = excluded.payload",
        [
            (
                run_id,
                rule["rule_id"],
                rule["kind"],
                rule["target"],
                json.dumps(rule["config"], sort_keys=True),
                "," + ",".join(rule["states"]) + ",",  # matched with instr(): no JSON functions needed
                rule.get("late_after"),
                rule.get("not_completed_within"),
                int(rule.get("max_attempts", 4)),
                float(rule.get("backoff", 1.0)),
                float(rule.get("timeout", 10.0)),
                rule.get("payload"),
            )
            for rule in rules
        ],
    )


def enqueue(
    conn: sqlite3.Connection,
    rule_ids: Sequence[str],
    run_id: str,
    state: str,
    flow_name: str,
    message: str | None,
    ts: float,
    attempt: int = 1,
) -> list[str]:
    """Add one notification per rule for ``run_id`` reaching ``state``; returns the ids newly added.

    A new notification is due at once (``next_attempt`` 0), whatever the clock of the process that
    delivers it; only retries are timed, on the deliverer's own clock.
    """
    added: list[str] = []
    for rule_id in rule_ids:
        nid = notification_id(rule_id, run_id, state, attempt)
        cursor = conn.execute(
            "INSERT INTO notifications (notification_id, rule_id, run_id, state, attempt, flow_name, message,"
            " created, next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (nid, rule_id, run_id, state, attempt, flow_name, message, ts, 0.0),
        )
        if cursor.rowcount:
            added.append(nid)
    return added


def _rules_for(conn: sqlite3.Connection, run_id: str, state: str) -> list[str]:
    rows = conn.execute(
        "SELECT rule_id FROM notify_rules WHERE run_id = ? AND instr(states, ?) > 0 ORDER BY rule_id",
        (run_id, f",{state},"),
    ).fetchall()
    return [rule_id for (rule_id,) in rows]


def enqueue_state(conn: sqlite3.Connection, run_id: str, state: str, ts: float, message: str | None) -> list[str]:
    """Enqueue the notifications of ``run_id`` entering ``state`` (called in that state's transaction)."""
    rule_ids = _rules_for(conn, run_id, state)
    if not rule_ids:
        return []
    (flow_name,) = conn.execute("SELECT flow_name FROM flow_runs WHERE run_id = ?", (run_id,)).fetchone()
    return enqueue(conn, rule_ids, run_id, state, flow_name, message, ts)


def enqueue_if_late(conn: sqlite3.Connection, run_id: str, flow_name: str, tick: float, started: float) -> list[str]:
    """A scheduled run starting now: enqueue ``Late`` for each rule whose ``late_after`` it exceeded."""
    rows = conn.execute(
        "SELECT rule_id, late_after FROM notify_rules"
        " WHERE run_id = ? AND late_after IS NOT NULL AND ? > ? + late_after",
        (run_id, started, tick),
    ).fetchall()
    added: list[str] = []
    for rule_id, late_after in rows:
        message = (
            f"the run of the tick at {iso_utc(tick)} started {started - tick:.0f} s late (late_after={late_after:g} s)"
        )
        added += enqueue(conn, [rule_id], run_id, "Late", flow_name, message, started)
    return added


def enqueue_late(conn: sqlite3.Connection, now: float) -> list[str]:
    """Scheduled runs still Pending ``late_after`` s after their tick: enqueue ``Late`` (once each)."""
    found = conn.execute(
        "SELECT f.run_id, f.flow_name, r.rule_id, f.tick, r.late_after FROM flow_runs f"
        " JOIN notify_rules r ON r.run_id = f.run_id"
        " WHERE f.state = 'Pending' AND f.tick IS NOT NULL AND r.late_after IS NOT NULL AND f.tick + r.late_after <= ?",
        (now,),
    ).fetchall()
    return _enqueue_found(
        conn,
        found,
        "Late",
        now,
        lambda tick, late: f"the run of the tick at {iso_utc(tick)} has not started {late:g} s after its tick",
    )


def enqueue_overdue(conn: sqlite3.Connection, now: float) -> list[str]:
    """Runs still Running ``not_completed_within`` s after they started: enqueue ``NotCompleted`` (once each)."""
    found = conn.execute(
        "SELECT f.run_id, f.flow_name, r.rule_id, f.started, r.not_completed_within FROM flow_runs f"
        " JOIN notify_rules r ON r.run_id = f.run_id"
        " WHERE f.state = 'Running' AND r.not_completed_within IS NOT NULL AND f.started + r.not_completed_within <= ?",
        (now,),
    ).fetchall()
    return _enqueue_found(
        conn, found, "NotCompleted", now, lambda _, within: f"the run has not completed {within:g} s after it started"
    )


def _enqueue_found(
    conn: sqlite3.Connection,
    found: Sequence[tuple[str, str, str, float, float]],
    state: str,
    now: float,
    explain: Callable[[float, float], str],
) -> list[str]:
    """Enqueue ``state`` for each ``(run, flow, rule, since, threshold)`` a proactive check found."""
    added: list[str] = []
    for run_id, flow_name, rule_id, since, threshold in found:
        added += enqueue(conn, [rule_id], run_id, state, flow_name, explain(since, threshold), now)
    return added


_ROW_COLUMNS: Final = (
    "n.notification_id, n.rule_id, n.run_id, n.state, n.attempt, n.flow_name, n.message, n.created, n.status,"
    " n.attempts, n.next_attempt, n.delivered, n.last_error, r.kind, r.target"
)
_JOIN: Final = "FROM notifications n JOIN notify_rules r ON r.run_id = n.run_id AND r.rule_id = n.rule_id"


def _claim(
    conn: sqlite3.Connection,
    now: float,
    owner: str,
    run_ids: Sequence[str] | None,
    limit: int,
    due_only: bool,
) -> list[ClaimedNotification]:
    where = ["n.status = 'pending'", "(n.claimed_until IS NULL OR n.claimed_until < ?)"]
    params: list[Any] = [now]
    if due_only:
        where.append("n.next_attempt <= ?")
        params.append(now)
    if run_ids is not None:
        where.append(f"n.run_id IN ({', '.join('?' * len(run_ids))})")
        params.extend(run_ids)
    rows = conn.execute(
        f"SELECT {_ROW_COLUMNS}, r.config, r.max_attempts, r.backoff, r.timeout, r.payload, f.schedule_id, f.tick"
        f" {_JOIN} LEFT JOIN flow_runs f ON f.run_id = n.run_id"
        f" WHERE {' AND '.join(where)} ORDER BY n.next_attempt, n.created LIMIT ?",
        (*params, limit),
    ).fetchall()
    claimed = []
    for row in rows:
        timeout = float(row[18])
        conn.execute(
            "UPDATE notifications SET claimed_by = ?, claimed_until = ? WHERE notification_id = ?",
            (owner, now + timeout + _HOLD_MARGIN, row[0]),
        )
        claimed.append(
            ClaimedNotification(
                row=NotificationRow(*row[:15]),
                config=json.loads(row[15]),
                max_attempts=int(row[16]),
                backoff=float(row[17]),
                timeout=timeout,
                payload=row[19],
                schedule_id=row[20],
                tick=row[21],
            )
        )
    return claimed


def _record_attempt(
    conn: sqlite3.Connection,
    claimed: ClaimedNotification,
    owner: str,
    now: float,
    ok: bool,
    status: str | None,
    error: str | None,
) -> str:
    row = claimed.row
    (attempts,) = conn.execute(
        "SELECT attempts FROM notifications WHERE notification_id = ?", (row.notification_id,)
    ).fetchone()
    attempts += 1
    conn.execute(
        "INSERT INTO notification_attempts (notification_id, attempt, ts, ok, status, error, process)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (row.notification_id, attempts, now, int(ok), status, error, owner),
    )
    if ok:
        outcome, next_attempt = "delivered", now
    elif attempts >= claimed.max_attempts:
        outcome, next_attempt = "failed", now
    else:
        outcome = "pending"
        next_attempt = now + min(claimed.backoff * 2 ** (attempts - 1), MAX_BACKOFF)
    conn.execute(
        "UPDATE notifications SET status = ?, attempts = ?, next_attempt = ?, claimed_by = NULL,"
        " claimed_until = NULL, delivered = ?, last_error = ? WHERE notification_id = ?",
        (outcome, attempts, next_attempt, now if ok else None, None if ok else error, row.notification_id),
    )
    return outcome


class SQLiteOutbox:
    """The outbox of one ``SQLiteStore``, for callers outside a transaction; see the module docstring."""

    def __init__(self, write: Work[Any], read: Work[Any]) -> None:
        self._write = write
        self._read = read

    def claim(
        self,
        now: float,
        owner: str,
        run_ids: Sequence[str] | None = None,
        limit: int = 50,
        due_only: bool = True,
    ) -> list[ClaimedNotification]:
        """Hold up to ``limit`` pending notifications (of ``run_ids``, or any) for ``owner`` to send.

        ``due_only=False`` takes them whether or not their backoff has passed.
        """
        if run_ids is not None and not run_ids:
            return []
        return self._write(lambda conn: _claim(conn, now, owner, run_ids, limit, due_only))  # type: ignore[no-any-return]

    def record_attempt(
        self, claimed: ClaimedNotification, owner: str, now: float, ok: bool, status: str | None, error: str | None
    ) -> str:
        """Log one attempt and release the row: 'delivered', 'pending' (retried later) or 'failed'."""
        return self._write(lambda conn: _record_attempt(conn, claimed, owner, now, ok, status, error))  # type: ignore[no-any-return]

    def defer(self, notification: str, until: float, note: str) -> None:
        """Give a row back without using an attempt (its secret is missing here), not to be taken before ``until``."""
        self._write(
            lambda conn: conn.execute(
                "UPDATE notifications SET claimed_by = NULL, claimed_until = NULL, next_attempt = ?, last_error = ?"
                " WHERE notification_id = ? AND status = 'pending'",
                (until, note, notification),
            )
        )

    def enqueue_proactive(self, now: float) -> list[str]:
        """``daskflow serve``'s checks: Late scheduled runs and runs NotCompleted in time; the ids added."""
        return self._write(lambda conn: enqueue_late(conn, now) + enqueue_overdue(conn, now))  # type: ignore[no-any-return]

    def next_due(self, run_ids: Sequence[str] | None = None, exclude: Sequence[str] = ()) -> float | None:
        """When the earliest pending notification (of ``run_ids``, minus ``exclude``) may next be tried."""
        where, params = self._selection(run_ids, exclude)
        sql = f"SELECT MIN(next_attempt) FROM notifications n WHERE n.status = 'pending'{where}"
        value = self._read(lambda conn: conn.execute(sql, params).fetchone()[0])
        return None if value is None else float(value)

    def recent(self, run_id: str | None = None, status: str | None = None, limit: int = 50) -> list[NotificationRow]:
        """Notifications newest first, optionally of one run and/or with one status; ``limit`` <= 0: all."""
        where, params = where_equal({"n.run_id": run_id, "n.status": status})
        sql = f"SELECT {_ROW_COLUMNS} {_JOIN} {where} ORDER BY n.created DESC, n.rowid DESC LIMIT ?"
        rows = self._read(lambda conn: conn.execute(sql, (*params, limit if limit > 0 else -1)).fetchall())
        return [NotificationRow(*row) for row in rows]

    def attempts(self, notification: str) -> list[AttemptRow]:
        """Every delivery attempt of one notification, oldest first."""
        sql = (
            "SELECT notification_id, attempt, ts, ok, status, error, process FROM notification_attempts"
            " WHERE notification_id = ? ORDER BY attempt, id"
        )
        rows = self._read(lambda conn: conn.execute(sql, (notification,)).fetchall())
        return [AttemptRow(r[0], r[1], r[2], bool(r[3]), r[4], r[5], r[6]) for r in rows]

    @staticmethod
    def _selection(run_ids: Sequence[str] | None, exclude: Sequence[str]) -> tuple[str, list[Any]]:
        where = ""
        params: list[Any] = []
        if run_ids is not None:
            where += f" AND n.run_id IN ({', '.join('?' * len(run_ids)) or 'NULL'})"
            params.extend(run_ids)
        if exclude:
            where += f" AND n.notification_id NOT IN ({', '.join('?' * len(exclude))})"
            params.extend(exclude)
        return where, params
