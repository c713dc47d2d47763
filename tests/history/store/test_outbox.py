"""The outbox: notifications written in the transaction of the state they report, once per (rule, run, state)."""

from __future__ import annotations

from typing import Any

from orchestrator.history.store import SQLiteStore


def _rule(rule_id: str = "webhook-1", states: tuple[str, ...] = ("Crashed", "Failed"), **extra: Any) -> dict[str, Any]:
    return {
        "rule_id": rule_id,
        "kind": "webhook",
        "target": "webhook $HOOK",
        "config": {"url_env": "HOOK"},
        "states": list(states),
        "max_attempts": 2,
        "backoff": 1.0,
        "timeout": 5.0,
        **extra,
    }


def test_a_state_a_rule_watches_enqueues_one_notification_even_when_recorded_twice(store: SQLiteStore) -> None:
    """Failed recorded twice gives one notification; Completed, which the rule does not watch, gives none."""
    store.create_flow_run("run-1", "etl", {}, 100.0, notify=[_rule()])
    store.set_flow_run_state("run-1", "Failed", 110.0, "2 task run(s) failed")
    store.set_flow_run_state("run-1", "Failed", 111.0, "again")
    store.create_flow_run("run-2", "etl", {}, 100.0, notify=[_rule()])
    store.set_flow_run_state("run-2", "Completed", 110.0)
    (only,) = store.outbox.recent()
    assert (only.run_id, only.state, only.message, only.status, only.target) == (
        "run-1",
        "Failed",
        "2 task run(s) failed",
        "pending",
        "webhook $HOOK",
    )


def test_the_reaper_enqueues_a_crashed_runs_notification_once(store: SQLiteStore) -> None:
    """Reaping a dead driver's run writes its Crashed notification with the state; reaping again adds none."""
    store.create_flow_run("run-1", "etl", {}, 100.0, notify=[_rule(), _rule("email-2", ("Crashed",))])
    assert store.reap_stale(now=1000.0, grace_seconds=60.0) == ["run-1"]
    assert store.reap_stale(now=2000.0, grace_seconds=60.0) == []
    rows = store.outbox.recent()
    assert sorted((n.rule_id, n.state) for n in rows) == [("email-2", "Crashed"), ("webhook-1", "Crashed")]
    assert all(n.message is not None and "heartbeat stopped" in n.message for n in rows)


def test_a_claimed_notification_is_held_from_other_deliverers(store: SQLiteStore) -> None:
    """While one deliverer holds a notification another cannot claim it; after the hold expires it can."""
    store.create_flow_run("run-1", "etl", {}, 100.0, notify=[_rule()])
    store.set_flow_run_state("run-1", "Failed", 110.0)
    (claimed,) = store.outbox.claim(200.0, "one")
    assert store.outbox.claim(201.0, "two") == []
    assert [c.row.notification_id for c in store.outbox.claim(200.0 + 5.0 + 31.0, "two")] == [
        claimed.row.notification_id
    ]


def test_failed_attempts_back_off_then_fail_for_good(store: SQLiteStore) -> None:
    """Each failed attempt is recorded; the next is due after the backoff; the last allowed one marks it failed."""
    store.create_flow_run("run-1", "etl", {}, 100.0, notify=[_rule()])
    store.set_flow_run_state("run-1", "Failed", 110.0)
    (claimed,) = store.outbox.claim(200.0, "me")
    assert store.outbox.record_attempt(claimed, "me", 200.0, False, "500", "HTTP 500") == "pending"
    assert store.outbox.claim(200.5, "me") == []
    assert store.outbox.next_due() == 201.0
    (again,) = store.outbox.claim(201.0, "me")
    assert store.outbox.record_attempt(again, "me", 201.0, False, None, "refused") == "failed"
    (row,) = store.outbox.recent()
    assert (row.status, row.attempts, row.last_error) == ("failed", 2, "refused")
    assert [(a.attempt, a.ok, a.error) for a in store.outbox.attempts(row.notification_id)] == [
        (1, False, "HTTP 500"),
        (2, False, "refused"),
    ]
    assert store.outbox.next_due() is None


def test_proactive_checks_notify_late_pending_and_overdue_running_runs_once(store: SQLiteStore) -> None:
    """A run Running past not_completed_within gives NotCompleted once; before the threshold, nothing."""
    store.create_flow_run(
        "run-1", "etl", {}, 100.0, notify=[_rule(states=("NotCompleted",), not_completed_within=10.0)]
    )
    assert store.outbox.enqueue_proactive(105.0) == []
    (added,) = store.outbox.enqueue_proactive(111.0)
    assert store.outbox.enqueue_proactive(200.0) == []
    (row,) = store.outbox.recent()
    assert (row.notification_id, row.state, row.message) == (
        added,
        "NotCompleted",
        "the run has not completed 10 s after it started",
    )
    store.set_flow_run_state("run-1", "Completed", 210.0)
    assert store.outbox.enqueue_proactive(300.0) == []
