"""Round trips through the run store: flow runs, task runs, errors, transitions and logs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator.history.store import SQLiteStore, StoreError

EventFactory = Callable[..., dict[str, Any]]

T0 = 1_763_700_000.0


def test_flow_run_round_trip_keeps_parameters_host_and_pid(store: SQLiteStore) -> None:
    """A created flow run reads back with its parameters, start, heartbeat, host and pid."""
    params = {
        "day": "2026-11-20",
        "limit": 5,
        "ratio": 0.5,
        "tags": ["a", "b"],
        "opt": None,
    }
    store.create_flow_run("run-1", "etl", params, T0, host="node-1", pid=4242)
    row = store.get_flow_run("run-1")
    assert row is not None
    assert (row.run_id, row.flow_name, row.state) == ("run-1", "etl", "Running")
    assert row.parameters == params
    assert (row.started, row.ended, row.heartbeat) == (T0, None, T0)
    assert (row.host, row.pid, row.message) == ("node-1", 4242, None)


def test_parameters_without_a_json_type_are_stored_readably(store: SQLiteStore) -> None:
    """Dates, paths and sets in parameters are stored as ISO text, strings and lists."""
    params = {"day": dt.date(2026, 11, 20), "out": Path("/data/out"), "ids": {3}}
    store.create_flow_run("run-1", "etl", params, T0)
    row = store.get_flow_run("run-1")
    assert row is not None
    assert row.parameters == {"day": "2026-11-20", "out": "/data/out", "ids": [3]}


def test_set_flow_run_state_records_transitions_and_end(store: SQLiteStore) -> None:
    """Each flow state change is a transition row; a terminal state sets ended and the message."""
    store.create_flow_run("run-1", "etl", {}, T0)
    store.set_flow_run_state("run-1", "Failed", T0 + 5, message="1 task run failed")
    row = store.get_flow_run("run-1")
    assert row is not None
    assert (row.state, row.ended, row.message) == (
        "Failed",
        T0 + 5,
        "1 task run failed",
    )
    moves = [(t.state, t.ts, t.message) for t in store.list_flow_transitions("run-1")]
    assert moves == [("Running", T0, None), ("Failed", T0 + 5, "1 task run failed")]


def test_non_terminal_flow_state_clears_ended(store: SQLiteStore) -> None:
    """Moving a finished run back to Running (a resume) clears its end time."""
    store.create_flow_run("run-1", "etl", {}, T0)
    store.set_flow_run_state("run-1", "Crashed", T0 + 5)
    store.set_flow_run_state("run-1", "Running", T0 + 9)
    row = store.get_flow_run("run-1")
    assert row is not None
    assert (row.state, row.ended) == ("Running", None)


def test_creating_the_same_flow_run_twice_is_an_error(store: SQLiteStore) -> None:
    """A duplicate run id raises StoreError and leaves the first record untouched."""
    store.create_flow_run("run-1", "etl", {"a": 1}, T0)
    with pytest.raises(StoreError, match="already exists"):
        store.create_flow_run("run-1", "other", {}, T0 + 1)
    row = store.get_flow_run("run-1")
    assert row is not None
    assert (row.flow_name, row.parameters) == ("etl", {"a": 1})
    assert len(store.list_flow_transitions("run-1")) == 1


def test_unknown_states_and_runs_are_rejected(store: SQLiteStore) -> None:
    """Unknown state names and updates of a missing run raise StoreError naming the problem."""
    with pytest.raises(StoreError, match="unknown state 'Done'"):
        store.create_flow_run("run-1", "etl", {}, T0, state="Done")
    with pytest.raises(StoreError, match="no flow run 'ghost'"):
        store.set_flow_run_state("ghost", "Completed", T0)


def test_task_errors_and_tracebacks_round_trip(store: SQLiteStore, make_event: EventFactory) -> None:
    """The task run holds its latest error; every attempt's error stays in the transitions."""
    first = {
        "type": "ValueError",
        "message": "bad row",
        "traceback": "Traceback...\nValueError",
    }
    last = {
        "type": "KeyError",
        "message": "'id'",
        "traceback": "Traceback...\nKeyError: 'id'",
    }
    worker = "tcp://127.0.0.1:4567"
    store.record_task_events(
        [
            make_event("load-1", "Running", T0, start=T0, worker=worker),
            make_event(
                "load-1",
                "Retrying",
                T0 + 1,
                end=T0 + 1,
                error=first,
                message="retry 1/1",
            ),
            make_event("load-1", "Running", T0 + 2, start=T0 + 2, attempt=2, worker=worker),
            make_event(
                "load-1",
                "Failed",
                T0 + 3,
                start=T0 + 2,
                end=T0 + 3,
                attempt=2,
                error=last,
            ),
        ]
    )
    (task,) = store.list_task_runs("run-1")
    assert (task.key, task.task, task.name, task.state) == (
        "load-1",
        "load",
        "load[1]",
        "Failed",
    )
    assert (task.start, task.end, task.attempt, task.worker) == (
        T0 + 2,
        T0 + 3,
        2,
        worker,
    )
    assert (task.error_type, task.error_message) == ("KeyError", "'id'")
    assert task.traceback == "Traceback...\nKeyError: 'id'"
    history = store.list_task_transitions("run-1", "load-1")
    assert [(t.state, t.attempt) for t in history] == [
        ("Running", 1),
        ("Retrying", 1),
        ("Running", 2),
        ("Failed", 2),
    ]
    assert (history[1].error_type, history[1].traceback) == (
        "ValueError",
        first["traceback"],
    )
    assert history[1].message == "retry 1/1"


def test_task_event_optional_fields_get_defaults(store: SQLiteStore) -> None:
    """An event with only run, key, state and ts stores task and name as the key and attempt 1."""
    store.record_task_events([{"run": "run-1", "key": "k-1", "state": "Pending", "ts": T0}])
    (task,) = store.list_task_runs("run-1")
    assert (task.task, task.name, task.attempt, task.error_type) == (
        "k-1",
        "k-1",
        1,
        None,
    )


def test_malformed_event_is_rejected_before_anything_is_written(store: SQLiteStore, make_event: EventFactory) -> None:
    """A batch with an event missing ts raises StoreError naming the field, and writes nothing."""
    good = make_event("a-1", "Running", T0)
    bad = {"run": "run-1", "key": "a-2", "state": "Running"}
    with pytest.raises(StoreError, match="has no 'ts' field"):
        store.record_task_events([good, bad])
    with pytest.raises(StoreError, match="unknown state 'Done'"):
        store.record_task_events([make_event("a-3", "Done", T0)])
    assert store.list_task_runs("run-1") == []


def test_logs_round_trip_in_time_order(store: SQLiteStore) -> None:
    """Log records read back with all fields, oldest first, flow-level lines included."""
    store.record_logs(
        [
            {
                "run": "run-1",
                "key": "a-1",
                "name": "a[1]",
                "level": "WARNING",
                "ts": T0 + 2,
                "message": "slow",
            },
            {
                "run": "run-1",
                "key": None,
                "name": None,
                "level": "INFO",
                "ts": T0,
                "message": "start",
            },
            {
                "run": "run-2",
                "key": None,
                "name": None,
                "level": "INFO",
                "ts": T0,
                "message": "x",
            },
        ]
    )
    logs = store.get_logs("run-1")
    assert [(log.key, log.name, log.level, log.ts, log.message) for log in logs] == [
        (None, None, "INFO", T0, "start"),
        ("a-1", "a[1]", "WARNING", T0 + 2, "slow"),
    ]
    assert {log.run_id for log in logs} == {"run-1"}


def test_mark_unfinished_ends_only_non_terminal_task_runs(store: SQLiteStore, make_event: EventFactory) -> None:
    """mark_unfinished moves Pending/Running/Retrying task runs to the state, with transitions."""
    store.record_task_events(
        [
            make_event("a-1", "Completed", T0, start=T0 - 1, end=T0),
            make_event("a-2", "Running", T0, start=T0),
            make_event("a-3", "Pending", T0),
            make_event(
                "a-4",
                "Retrying",
                T0,
                error={"type": "E", "message": "m", "traceback": "t"},
            ),
        ]
    )
    marked = store.mark_unfinished("run-1", "Cancelled", T0 + 10, "cancelled by the user")
    assert marked == 3
    states = {t.key: (t.state, t.end, t.message) for t in store.list_task_runs("run-1")}
    assert states == {
        "a-1": ("Completed", T0, None),
        "a-2": ("Cancelled", T0 + 10, "cancelled by the user"),
        "a-3": ("Cancelled", T0 + 10, "cancelled by the user"),
        "a-4": ("Cancelled", T0 + 10, "cancelled by the user"),
    }
    cancels = [t.key or "" for t in store.list_task_transitions("run-1") if t.state == "Cancelled"]
    assert sorted(cancels) == ["a-2", "a-3", "a-4"]
    assert store.mark_unfinished("run-1", "Cancelled", T0 + 11, "again") == 0


def test_mark_unfinished_needs_a_terminal_state(store: SQLiteStore) -> None:
    """Marking unfinished task runs with a non-terminal state raises StoreError."""
    with pytest.raises(StoreError, match="needs a terminal state"):
        store.mark_unfinished("run-1", "Running", T0, "no")


def test_closed_store_raises_and_close_is_idempotent(tmp_path: Path) -> None:
    """After close() every call raises StoreError, and closing again does nothing."""
    closed = SQLiteStore(tmp_path / "daskflow.db")
    closed.close()
    closed.close()
    with pytest.raises(StoreError, match="is closed"):
        closed.list_flow_runs()
