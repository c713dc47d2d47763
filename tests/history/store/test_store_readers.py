"""Readers: run-id prefix lookup, flow run listing filters, log filters and state counts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orchestrator.history.store import AmbiguousRunIdError, SQLiteStore

EventFactory = Callable[..., dict[str, Any]]
T0 = 1_763_700_000.0


def test_get_flow_run_accepts_a_unique_prefix(store: SQLiteStore) -> None:
    """A prefix that matches exactly one run id returns that run."""
    store.create_flow_run("3f9a1c2e", "etl", {}, T0)
    store.create_flow_run("3f8b0000", "etl", {}, T0)
    row = store.get_flow_run("3f9")
    assert row is not None
    assert row.run_id == "3f9a1c2e"


def test_exact_run_id_wins_over_longer_ids_it_prefixes(store: SQLiteStore) -> None:
    """An id that is itself a prefix of other ids still finds its own run."""
    store.create_flow_run("abc", "etl", {}, T0)
    store.create_flow_run("abcdef", "etl", {}, T0)
    row = store.get_flow_run("abc")
    assert row is not None
    assert row.run_id == "abc"


def test_ambiguous_prefix_raises_naming_the_matches(store: SQLiteStore) -> None:
    """A prefix shared by several runs raises AmbiguousRunIdError listing them."""
    for run_id in ("ab01", "ab02", "ab03"):
        store.create_flow_run(run_id, "etl", {}, T0)
    with pytest.raises(AmbiguousRunIdError, match="matches 3 flow runs") as caught:
        store.get_flow_run("ab")
    assert caught.value.matches == ["ab01", "ab02", "ab03"]
    assert isinstance(caught.value, LookupError)


def test_unknown_id_and_empty_prefix_return_none(store: SQLiteStore) -> None:
    """No match, or an empty string, gives None rather than an arbitrary run."""
    store.create_flow_run("ab01", "etl", {}, T0)
    assert store.get_flow_run("zz") is None
    assert store.get_flow_run("") is None


def test_prefix_characters_are_not_wildcards(store: SQLiteStore) -> None:
    """SQL wildcard characters in a prefix match only themselves."""
    store.create_flow_run("ab_1", "etl", {}, T0)
    store.create_flow_run("abx2", "etl", {}, T0)
    row = store.get_flow_run("ab_")
    assert row is not None
    assert row.run_id == "ab_1"
    assert store.get_flow_run("a%") is None


def test_list_flow_runs_is_newest_first_and_limited(store: SQLiteStore) -> None:
    """Runs come back by start time, newest first, at most ``limit`` of them; 0 means all."""
    for i in range(30):
        store.create_flow_run(f"run-{i:02d}", "etl", {}, T0 + i)
    runs = store.list_flow_runs()
    assert [r.run_id for r in runs] == [f"run-{i:02d}" for i in range(29, 9, -1)]
    assert [r.run_id for r in store.list_flow_runs(limit=2)] == ["run-29", "run-28"]
    assert len(store.list_flow_runs(limit=0)) == 30


def test_list_flow_runs_filters_by_flow_and_state(store: SQLiteStore) -> None:
    """The flow and state filters each narrow the list, and combine."""
    store.create_flow_run("e1", "etl", {}, T0)
    store.create_flow_run("e2", "etl", {}, T0 + 1)
    store.create_flow_run("r1", "report", {}, T0 + 2)
    store.set_flow_run_state("e1", "Failed", T0 + 3)
    assert [r.run_id for r in store.list_flow_runs(flow="etl")] == ["e2", "e1"]
    assert [r.run_id for r in store.list_flow_runs(state="Running")] == ["r1", "e2"]
    assert [r.run_id for r in store.list_flow_runs(flow="etl", state="Failed")] == ["e1"]
    assert store.list_flow_runs(flow="nope") == []


def test_get_logs_filters_by_task_name_display_name_or_key(store: SQLiteStore, make_event: EventFactory) -> None:
    """A task filter matches every run of a task by name, one by display name, or one by key."""
    store.record_task_events(
        [
            make_event("transform-0", "Running", T0),
            make_event("transform-1", "Running", T0),
            make_event("load-0", "Running", T0),
        ]
    )
    lines = [
        ("transform-0", "transform[0]"),
        ("transform-1", "transform[1]"),
        ("load-0", "load[0]"),
        (None, None),
    ]
    store.record_logs(
        [
            {
                "run": "run-1",
                "key": key,
                "name": name,
                "level": "INFO",
                "ts": T0 + i,
                "message": f"line {i}",
            }
            for i, (key, name) in enumerate(lines)
        ]
    )
    assert [log.message for log in store.get_logs("run-1", task="transform")] == [
        "line 0",
        "line 1",
    ]
    assert [log.message for log in store.get_logs("run-1", task="transform[1]")] == ["line 1"]
    assert [log.message for log in store.get_logs("run-1", task="load-0")] == ["line 2"]
    assert len(store.get_logs("run-1")) == 4
    assert store.get_logs("run-1", task="missing") == []
    assert store.get_logs("run-2") == []


def test_task_state_counts_and_first_seen_order(store: SQLiteStore, make_event: EventFactory) -> None:
    """Counts cover only present states; task runs list in the order they were first recorded."""
    store.record_task_events(
        [
            make_event("c-0", "Pending", T0),
            make_event("a-0", "Completed", T0),
            make_event("b-0", "Failed", T0),
            make_event("d-0", "Completed", T0),
            make_event("a-0", "Completed", T0 + 1, run="run-2"),
        ]
    )
    assert store.task_state_counts("run-1") == {
        "Pending": 1,
        "Completed": 2,
        "Failed": 1,
    }
    assert [t.key for t in store.list_task_runs("run-1")] == [
        "c-0",
        "a-0",
        "b-0",
        "d-0",
    ]
    assert store.task_state_counts("run-3") == {}
