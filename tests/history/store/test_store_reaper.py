"""Heartbeats, and reaping flow runs whose driver went silent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orchestrator.history.store import SQLiteStore, StoreError

EventFactory = Callable[..., dict[str, Any]]
T0 = 1_763_700_000.0  # 2025-11-21T04:40:00+00:00
GRACE = 30.0


def _tasks(store: SQLiteStore, run: str) -> dict[str, tuple[str, str | None]]:
    return {t.key: (t.state, t.message) for t in store.list_task_runs(run)}


def test_reap_stale_crashes_a_silent_run_and_its_unfinished_tasks(store: SQLiteStore, make_event: EventFactory) -> None:
    """A Running run with an old heartbeat becomes Crashed with a reason, and so do its open tasks."""
    store.create_flow_run("dead", "etl", {}, T0)
    store.heartbeat("dead", T0 + 10)
    store.record_task_events(
        [
            make_event("a-1", "Completed", T0 + 1, run="dead", start=T0, end=T0 + 1),
            make_event("a-2", "Running", T0 + 2, run="dead", start=T0 + 2),
            make_event("a-3", "Pending", T0 + 2, run="dead"),
            make_event("a-4", "Failed", T0 + 3, run="dead"),
        ]
    )
    now = T0 + 10 + GRACE + 1
    assert store.reap_stale(now, GRACE) == ["dead"]

    run = store.get_flow_run("dead")
    assert run is not None
    assert (run.state, run.ended, run.heartbeat) == ("Crashed", now, T0 + 10)
    assert run.message is not None
    assert "driver heartbeat stopped at 2025-11-21T04:40:10+00:00" in run.message
    assert "the driver process died or lost the store" in run.message
    assert [t.state for t in store.list_flow_transitions("dead")] == [
        "Running",
        "Crashed",
    ]

    tasks = _tasks(store, "dead")
    assert tasks["a-1"] == ("Completed", None)
    assert tasks["a-4"][0] == "Failed"
    for key in ("a-2", "a-3"):
        state, message = tasks[key]
        assert state == "Crashed"
        assert message is not None
        assert "driver heartbeat stopped" in message
    crashed = [t for t in store.list_task_transitions("dead") if t.state == "Crashed"]
    assert sorted(t.key or "" for t in crashed) == ["a-2", "a-3"]
    assert {t.ts for t in crashed} == {now}


def test_reap_stale_leaves_fresh_and_finished_runs_alone(store: SQLiteStore, make_event: EventFactory) -> None:
    """Runs that heartbeat within the grace, and runs already finished, are not touched."""
    store.create_flow_run("fresh", "etl", {}, T0)
    store.create_flow_run("done", "etl", {}, T0)
    store.record_task_events([make_event("a-1", "Running", T0 + 1, run="fresh")])
    store.set_flow_run_state("done", "Completed", T0 + 5)
    now = T0 + 1_000
    store.heartbeat("fresh", now - GRACE + 1)

    assert store.reap_stale(now, GRACE) == []
    fresh, done = store.get_flow_run("fresh"), store.get_flow_run("done")
    assert fresh is not None
    assert done is not None
    assert (fresh.state, fresh.ended, fresh.message) == ("Running", None, None)
    assert (done.state, done.ended) == ("Completed", T0 + 5)
    assert _tasks(store, "fresh") == {"a-1": ("Running", None)}


def test_a_run_that_never_heartbeat_is_judged_from_its_start(
    store: SQLiteStore,
) -> None:
    """Without any heartbeat, the run's start time counts as its last sign of life."""
    store.create_flow_run("quiet", "etl", {}, T0)
    assert store.reap_stale(T0 + GRACE - 1, GRACE) == []
    assert store.reap_stale(T0 + GRACE + 1, GRACE) == ["quiet"]


def test_a_reaped_run_is_not_reaped_again(store: SQLiteStore) -> None:
    """Once Crashed, a run is no longer Running, so a later reap returns nothing."""
    store.create_flow_run("dead", "etl", {}, T0)
    assert store.reap_stale(T0 + 100, GRACE) == ["dead"]
    assert store.reap_stale(T0 + 200, GRACE) == []
    assert len(store.list_flow_transitions("dead")) == 2


def test_heartbeat_of_an_unknown_run_is_an_error(store: SQLiteStore) -> None:
    """Heartbeating a run id the store has never seen raises StoreError."""
    with pytest.raises(StoreError, match="no flow run 'ghost'"):
        store.heartbeat("ghost", T0)
