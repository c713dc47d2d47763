"""What the store keeps of persisted results, resumed runs and concurrency limits (schema version 2)."""

from __future__ import annotations

from typing import Any

import pytest

from orchestrator.history.store import SQLiteStore, StoreError

from .conftest import EventFactory


def result(key: str, location: str, run: str = "run-1", created: float = 10.0, **extra: Any) -> dict[str, Any]:
    return {"key": key, "location": location, "checksum": "c" * 64, "size": 5, "created": created,
            "expires": None, "run": run, "task": "load", **extra}  # fmt: skip


def test_results_in_task_events_are_recorded_with_the_event(store: SQLiteStore, make_event: EventFactory) -> None:
    """A Completed event carrying a result adds a cache entry and the task run's result, in one write."""
    store.create_flow_run("run-1", "etl", {}, 1.0)
    store.record_task_events(
        [
            make_event("load-0", "Completed", 10.0, result=result("k0", "file:///r/k0.result")),
            make_event("load-1", "Completed", 11.0),
        ]
    )
    (entry,) = store.results.entries()
    assert (entry.cache_key, entry.task, entry.run_id, entry.key, entry.size) == ("k0", "load", "run-1", "load-0", 5)
    assert store.results.hit_counts("run-1") == {"written": 1}


def test_reusable_results_are_those_of_completed_or_cached_task_runs(
    store: SQLiteStore, make_event: EventFactory
) -> None:
    """A resume may reuse the results of Completed and Cached task runs, by task name and key, and no others."""
    store.create_flow_run("run-1", "etl", {}, 1.0)
    store.record_task_events(
        [
            make_event("load-0", "Completed", 10.0, result=result("k0", "file:///r/k0")),
            make_event("load-1", "Cached", 10.0, result=result("k1", "file:///r/k1", run="run-0"), hit="cache"),
            make_event("save-2", "Completed", 10.0, result=result("k2", "file:///r/k2")),
            make_event("save-3", "Failed", 11.0),
        ]
    )
    assert store.results.reusable("run-1") == {
        "load": {"k0": "file:///r/k0", "k1": "file:///r/k1"},
        "save": {"k2": "file:///r/k2"},
    }
    assert store.results.hit_counts("run-1") == {"written": 2, "cache": 1}
    by_key = {e.cache_key: e for e in store.results.entries()}
    assert by_key["k1"].run_id == "run-0"  # the entry belongs to the run that wrote the file


def test_entries_filter_by_task_and_age_and_can_be_deleted(store: SQLiteStore, make_event: EventFactory) -> None:
    """entries() selects by task name and by time written; delete_entries forgets the chosen ones."""
    store.record_task_events(
        [
            make_event("load-0", "Completed", 10.0, result=result("old", "file:///r/old", created=10.0)),
            make_event("save-1", "Completed", 20.0, task="save", result=result("new", "file:///r/new", created=20.0)),
        ]
    )
    assert [e.cache_key for e in store.results.entries()] == ["new", "old"]
    assert [e.cache_key for e in store.results.entries(task="save")] == ["new"]
    assert [e.cache_key for e in store.results.entries(created_before=15.0)] == ["old"]
    assert store.results.delete_entries(["old", "missing"]) == 1
    assert [e.cache_key for e in store.results.entries()] == ["new"]


def test_origins_keep_the_resumed_run_and_the_target(store: SQLiteStore) -> None:
    """record_origin keeps each of resumed_from and target once given, whichever comes first."""
    store.results.record_origin("run-2", resumed_from="run-1")
    store.results.record_origin("run-2", target="/work/flows.py:etl")
    origin = store.results.origin("run-2")
    assert origin is not None and (origin.resumed_from, origin.target) == ("run-1", "/work/flows.py:etl")
    assert store.results.origin("run-9") is None


def test_concurrency_limits_are_set_listed_and_removed(store: SQLiteStore) -> None:
    """limits.set replaces a tag's slots; all() maps tags to slots; remove says whether there was one."""
    store.limits.set("db", 2, 1.0)
    store.limits.set("api", 5, 2.0)
    store.limits.set("db", 3, 3.0)
    assert store.limits.all() == {"api": 5, "db": 3}
    assert store.limits.rows()[1] == ("db", 3, 3.0)
    assert store.limits.remove("db") and not store.limits.remove("db")
    with pytest.raises(StoreError, match="whole number of slots >= 1"):
        store.limits.set("db", 0, 4.0)
