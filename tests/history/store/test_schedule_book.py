"""The store's side of schedules: one claim per tick, the cursor moved with it, a tick's run started once, the lease."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from orchestrator.history.store import LeaseLost, RunAlreadyStarted, SQLiteStore, TickClaim


def _fields(**changes: Any) -> dict[str, Any]:
    fields = {
        "schedule_id": "sched-1",
        "flow_name": "etl",
        "kind": "interval",
        "expression": "60.0",
        "timezone": "UTC",
        "parameters": {"day": "2026-11-21"},
        "catchup": "all",
        "max_active_runs": 1,
    }
    fields.update(changes)
    return fields


def _lease(store: SQLiteStore, owner: str, now: float, ttl: float = 30.0) -> bool:
    held, _ = store.schedules.acquire_lease(owner, 1, "host-a", now, ttl, lambda lease: False)
    return held


def test_registering_again_keeps_the_cursor_anchor_and_registration(store: SQLiteStore) -> None:
    """A known schedule keeps its cursor, stored anchor and registration time; only its policies change."""
    first = store.schedules.register(_fields(anchor=50.0), now=100.0)
    again = store.schedules.register(_fields(anchor=999.0, catchup="none"), now=500.0)
    assert (again.cursor, again.anchor, again.registered) == (100.0, 50.0, 100.0) == (first.cursor, 50.0, 100.0)
    assert (again.catchup, again.updated) == ("none", 500.0)


def test_a_claim_inserts_the_tick_its_pending_run_and_moves_the_cursor_at_once(store: SQLiteStore) -> None:
    """One transaction: the tick row, a Pending flow run marked with schedule and tick, and the cursor."""
    row = store.schedules.register(_fields(), now=100.0)
    assert _lease(store, "me", 190.0)
    claims = [TickClaim(120.0, "run-120")]
    assert store.schedules.claim_ticks(row, claims, 180.0, 1, 200.0, "me") == claims
    run = store.get_flow_run("run-120")
    assert run is not None and (run.state, run.schedule_id, run.tick) == ("Pending", "sched-1", 120.0)
    assert run.parameters == {"day": "2026-11-21"}
    stored = store.schedules.get("sched-1")
    assert stored is not None and (stored.cursor, stored.skipped) == (180.0, 1)
    assert store.schedules.pending_runs(["sched-1"]) == [("run-120", "sched-1", 120.0)]


def test_two_stores_claiming_one_tick_give_one_claim_and_one_run(tmp_path: Path) -> None:
    """Two connections (two servers) claim the same tick: the primary key lets one win; the other gets nothing."""
    with SQLiteStore(tmp_path / "d.db") as one, SQLiteStore(tmp_path / "d.db") as two:
        row = one.schedules.register(_fields(), now=100.0)
        # Both think they hold the lease (one took it over after the other stalled): the key still holds.
        assert _lease(one, "one", 110.0)
        claims = [TickClaim(120.0, "run-120")]
        assert one.schedules.claim_ticks(row, claims, 120.0, 0, 121.0, "one") == claims
        assert _lease(two, "two", 200.0)  # expired: taken over
        assert two.schedules.claim_ticks(row, claims, 120.0, 0, 201.0, "two") == []
        assert [r.run_id for r in two.list_flow_runs(limit=0)] == ["run-120"]
        assert [t.claimed_by for t in two.schedules.ticks("sched-1")] == ["one"]


def test_claiming_without_the_lease_claims_nothing(store: SQLiteStore) -> None:
    """A server whose lease another took raises LeaseLost, and neither tick nor cursor changes."""
    row = store.schedules.register(_fields(), now=100.0)
    assert _lease(store, "old", 100.0)
    assert _lease(store, "new", 140.0)  # the old holder's lease expired at 130
    with pytest.raises(LeaseLost, match="no longer holds the serve lease"):
        store.schedules.claim_ticks(row, [TickClaim(120.0, "run-120")], 120.0, 0, 141.0, "old")
    assert store.schedules.ticks("sched-1") == []
    stored = store.schedules.get("sched-1")
    assert stored is not None and stored.cursor == 100.0


def test_a_scheduled_run_starts_only_once(store: SQLiteStore) -> None:
    """Recording a Pending scheduled run Running starts it; a second start raises RunAlreadyStarted."""
    row = store.schedules.register(_fields(), now=100.0)
    assert _lease(store, "me", 100.0)
    store.schedules.claim_ticks(row, [TickClaim(120.0, "run-120")], 120.0, 0, 121.0, "me")
    store.create_flow_run("run-120", "etl", {}, 122.0, schedule_id="sched-1", tick=120.0, pid=7)
    run = store.get_flow_run("run-120")
    assert run is not None and (run.state, run.started, run.pid) == ("Running", 122.0, 7)
    with pytest.raises(RunAlreadyStarted, match="starts only once"):
        store.create_flow_run("run-120", "etl", {}, 123.0, schedule_id="sched-1", tick=120.0)
    assert [t.state for t in store.list_flow_transitions("run-120")] == ["Pending", "Running"]


def test_the_lease_is_renewed_by_its_holder_and_taken_when_expired_or_its_holder_is_gone(store: SQLiteStore) -> None:
    """Another process gets the lease only after it expires, or at once when the holder is known dead."""
    assert _lease(store, "a", 100.0)
    assert not _lease(store, "b", 110.0)
    assert _lease(store, "a", 125.0)  # renewed: now good until 155
    assert not _lease(store, "b", 150.0)
    held, lease = store.schedules.acquire_lease("b", 2, "host-a", 150.0, 30.0, lambda lease: lease.owner == "a")
    assert held and lease is not None and (lease.owner, lease.pid, lease.acquired) == ("b", 2, 150.0)
    store.schedules.release_lease("b")
    assert store.schedules.lease() is None
    assert _lease(store, "c", 151.0)
