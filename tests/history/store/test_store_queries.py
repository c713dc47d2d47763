"""The dashboard's reads (``RunStore.queries``): cursor paging, filters, changes after an id, logs, errors."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from orchestrator.history.store import LogFilter, RunFilter, RunQueries, SQLiteStore, StoreError
from tests.history.store.conftest import EventFactory

T0 = 1_800_000_000.0


def _runs(store: SQLiteStore, n: int, flow: str = "etl", *, same_start: bool = False) -> list[str]:
    ids = []
    for i in range(n):
        run_id = f"{flow}-{i:04d}"
        store.create_flow_run(run_id, flow, {"n": i, "day": f"d{i % 3}"}, T0 if same_start else T0 + i)
        ids.append(run_id)
    return ids


def test_the_store_offers_the_dashboard_queries(store: SQLiteStore) -> None:
    """SQLiteStore.queries implements the RunQueries protocol."""
    assert isinstance(store.queries, RunQueries)


def test_run_pages_follow_their_cursor_without_gaps_or_repeats(store: SQLiteStore) -> None:
    """Paging by cursor visits every run once, newest first, even when many share a start time."""
    ids = _runs(store, 23, same_start=True) + _runs(store, 5, flow="other")
    seen: list[str] = []
    cursor = None
    while True:
        page = store.queries.page_flow_runs(RunFilter(), cursor, limit=7)
        seen.extend(run.run_id for run in page.runs)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert seen[:5] == [f"other-{i:04d}" for i in reversed(range(5))]


def test_run_filters_combine_flow_states_time_and_parameters(store: SQLiteStore) -> None:
    """Flow, states, a start-time window and parameter values narrow the list; counts ignore the states."""
    _runs(store, 10)
    _runs(store, 4, flow="other")
    store.set_flow_run_state("etl-0003", "Failed", T0 + 20)
    store.set_flow_run_state("etl-0004", "Completed", T0 + 20)
    queries = store.queries
    in_window = RunFilter(flow="etl", since=T0 + 2, until=T0 + 6)
    assert [r.run_id for r in queries.page_flow_runs(in_window).runs] == [f"etl-{i:04d}" for i in (5, 4, 3, 2)]
    failed = RunFilter(flow="etl", states=("Failed",))
    assert [r.run_id for r in queries.page_flow_runs(failed).runs] == ["etl-0003"]
    assert queries.count_flow_runs(failed) == {"Running": 8, "Failed": 1, "Completed": 1}
    by_number = RunFilter(params=(("n", "3"),))
    assert sorted(r.run_id for r in queries.page_flow_runs(by_number).runs) == ["etl-0003", "other-0003"]
    by_text = RunFilter(flow="other", params=(("day", "d1"),))
    assert [r.run_id for r in queries.page_flow_runs(by_text).runs] == ["other-0001"]
    assert queries.flow_names() == ["etl", "other"]


def test_a_bad_cursor_or_parameter_name_is_a_store_error(store: SQLiteStore) -> None:
    """A cursor that no page returned, or a parameter name with a quote, says what to use instead."""
    with pytest.raises(StoreError, match="use the next_cursor a page returned"):
        store.queries.page_flow_runs(RunFilter(), "yesterday")
    with pytest.raises(StoreError, match="parameter name"):
        store.queries.page_flow_runs(RunFilter(params=(('a"b', "1"),)))


def test_flow_changes_after_an_id_give_the_runs_as_they_are_now(store: SQLiteStore) -> None:
    """Runs with transitions after the cursor come back once each, current, with which match the filter."""
    _runs(store, 3)
    after = store.queries.last_flow_transition()
    store.set_flow_run_state("etl-0001", "Completed", T0 + 10)
    store.set_flow_run_state("etl-0002", "Failed", T0 + 11)
    store.set_flow_run_state("etl-0001", "Completed", T0 + 12, "again")
    changes = store.queries.flow_changes(after, RunFilter(states=("Failed",)))
    assert [(r.run_id, r.state) for r in changes.runs] == [("etl-0001", "Completed"), ("etl-0002", "Failed")]
    assert changes.matching == {"etl-0002"}
    assert changes.last_id == store.queries.last_flow_transition() and not changes.more
    assert store.queries.flow_changes(changes.last_id).runs == []


def test_task_changes_resume_exactly_after_the_last_transition_seen(
    store: SQLiteStore, make_event: EventFactory
) -> None:
    """A snapshot's last_id, then changes after it in limited batches, cover every transition once."""
    store.create_flow_run("run-1", "etl", {}, T0)
    store.record_task_events([make_event(f"a-{i}", "Running", T0 + i, start=T0 + i) for i in range(4)])
    snapshot = store.queries.task_columns("run-1")
    assert snapshot.states == ["Running"] * 4
    store.record_task_events(
        [make_event("a-1", "Retrying", T0 + 5, start=T0 + 1, attempt=1)]
        + [make_event(f"a-{i}", "Completed", T0 + 6 + i, start=T0 + i, end=T0 + 6 + i, attempt=2) for i in range(3)]
        + [make_event("b-0", "Failed", T0 + 9)]
    )
    first = store.queries.task_changes("run-1", snapshot.last_id, limit=3)
    assert first.more and first.keys == ["a-0", "a-1"]
    assert [ts for _, ts in first.retries] == [T0 + 5]
    second = store.queries.task_changes("run-1", first.last_id, limit=3)
    assert not second.more and second.keys == ["a-2", "b-0"] and second.states == ["Completed", "Failed"]
    assert store.queries.task_changes("run-1", second.last_id).keys == []
    full = store.queries.task_columns("run-1")
    ids = dict(zip(full.keys, full.ids))
    assert [ids[k] for k in ("a-0", "a-1", "a-2", "a-3", "b-0")] == sorted(full.ids)  # the order first seen
    assert full.last_id == second.last_id
    assert full.retries == [(ids["a-1"], T0 + 5)]
    assert store.queries.task_key("run-1", ids["a-3"]) == "a-3"


def test_a_recorded_graph_comes_back_whole_with_totals_per_task(store: SQLiteStore) -> None:
    """Each flush's nodes are stored as one row; reading returns them in order, with totals per name."""
    store.create_flow_run("run-1", "etl", {}, T0)
    store.record_graph("run-1", [("a-0", "a", "a", ()), ("a-1", "a", "a[1]", ())])
    store.record_graph("run-1", [("b-2", "b", "b", ("a-0", "a-1"))])
    nodes = store.queries.graph("run-1")
    assert [(n.key, n.task, n.name, n.upstream) for n in nodes] == [
        ("a-0", "a", "a", ()),
        ("a-1", "a", "a[1]", ()),
        ("b-2", "b", "b", ("a-0", "a-1")),
    ]
    assert store.queries.graph_totals("run-1") == {"a": 2, "b": 1}
    assert store.queries.graph("run-2") == [] and store.queries.graph_totals("run-2") == {}


def test_run_info_records_where_a_run_ran(store: SQLiteStore) -> None:
    """set_flow_run_info stores the scheduler, Dask dashboard, executor and entrypoint; unknown fields fail."""
    store.create_flow_run("run-1", "etl", {}, T0)
    assert store.queries.run_info("run-1") == store.queries.run_info("run-1")
    store.set_flow_run_info("run-1", {"entrypoint": "/x/flows.py:etl"})
    store.set_flow_run_info(
        "run-1", {"scheduler": "tcp://127.0.0.1:1", "dashboard": "http://127.0.0.1:2/status", "external_scheduler": 1}
    )
    info = store.queries.run_info("run-1")
    assert info is not None
    assert (info.scheduler, info.dashboard, info.external_scheduler) == (
        "tcp://127.0.0.1:1",
        "http://127.0.0.1:2/status",
        True,
    )
    assert (info.entrypoint, info.executor) == ("/x/flows.py:etl", None)
    with pytest.raises(StoreError, match="unknown run info colour"):
        store.set_flow_run_info("run-1", {"colour": "red"})
    with pytest.raises(StoreError, match="no flow run 'run-9'"):
        store.set_flow_run_info("run-9", {"executor": "x"})
    assert store.queries.run_info("run-9") is None


def test_failures_group_by_task_type_and_message_shape(store: SQLiteStore, make_event: EventFactory) -> None:
    """3,000 failures that differ only in a number are one group, counted; other errors are their own."""
    store.create_flow_run("run-1", "etl", {}, T0)
    error = {"type": "ValueError", "message": "", "traceback": "tb"}
    events = [
        make_event(f"read-{i}", "Failed", T0 + i, end=T0 + i, error={**error, "message": f"cannot read part {i}"})
        for i in range(3_000)
    ]
    events.append(make_event("load-0", "Failed", T0, error={**error, "type": "KeyError", "message": "'x'"}))
    events.append(make_event("ok-0", "Completed", T0))
    store.record_task_events(events)
    groups = store.queries.error_groups("run-1")
    assert [(g.task, g.error_type, g.shape, g.count) for g in groups] == [
        ("read", "ValueError", "cannot read part N", 3_000),
        ("load", "KeyError", "'x'", 1),
    ]
    assert (groups[0].messages, groups[0].first_key, groups[0].first_ts, groups[0].last_ts) == (
        3_000,
        "read-0",
        T0,
        T0 + 2_999,
    )


def test_log_windows_filters_and_the_first_error(store: SQLiteStore, make_event: EventFactory) -> None:
    """Log windows count and page the filtered lines; level, task and search filter; the first error is found."""
    store.create_flow_run("run-1", "etl", {}, T0)
    store.record_task_events([make_event("a-0", "Completed", T0), make_event("b-1", "Completed", T0)])
    lines = [
        {
            "run": "run-1",
            "key": "a-0" if i % 2 else "b-1",
            "name": "x",
            "level": "INFO",
            "ts": T0 + i,
            "message": f"line {i}",
        }
        for i in range(100)
    ]
    lines[70] = {**lines[70], "level": "ERROR", "message": "Disk FULL"}
    store.record_logs(lines)
    queries = store.queries
    window = queries.log_window("run-1", LogFilter(), 95, 10)
    assert (window.total, window.offset, [line.message for line in window.lines]) == (
        100,
        95,
        [f"line {i}" for i in range(95, 100)],
    )
    assert window.last_id == queries.last_log("run-1")
    assert queries.count_logs("run-1", LogFilter(task="a")) == 50
    assert queries.count_logs("run-1", LogFilter(levels=("ERROR",), task="a-0")) == 0
    assert [line.message for line in queries.log_page("run-1", LogFilter(search="disk full"), 0, 5)] == ["Disk FULL"]
    assert queries.first_error_offset("run-1", LogFilter()) == 70
    assert queries.first_error_offset("run-1", LogFilter(task="b")) == 35
    assert queries.first_error_offset("run-1", LogFilter(task="a")) is None
    after = queries.logs_after("run-1", LogFilter(levels=("INFO",)), window.lines[0].id, limit=2)
    assert [line.message for line in after] == ["line 96", "line 97"]
    assert queries.log_levels("run-1") == {"INFO": 99, "ERROR": 1}


def test_the_run_page_queries_use_indexes(store: SQLiteStore) -> None:
    """The first page of runs and a run's changes, logs and failures are index searches, never table scans."""
    conn = sqlite3.connect(store.path)
    with closing(conn):
        plans = {
            "runs": "SELECT rowid FROM flow_runs WHERE (started < 1 OR (started = 1 AND rowid < 1))"
            " ORDER BY started DESC, rowid DESC LIMIT 50",
            "changes": "SELECT id FROM task_transitions WHERE run_id = 'r' AND id > 5 ORDER BY id LIMIT 10",
            "logs": "SELECT id FROM logs WHERE run_id = 'r' ORDER BY id LIMIT 10 OFFSET 100",
            "failed": "SELECT key FROM task_runs WHERE run_id = 'r' AND state IN ('Failed', 'Crashed')",
        }
        for name, sql in plans.items():
            detail = " ".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
            assert detail.startswith("SEARCH") and "TEMP B-TREE" not in detail, (name, detail)


def test_a_version_1_store_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    """Opening a store written before the dashboard migration adds its columns and tables, keeping the data."""
    from orchestrator.history.store.schema import MIGRATIONS, migrate

    path = tmp_path / "old.db"
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        migrate(conn, MIGRATIONS[:1])
        conn.execute("INSERT INTO flow_runs (run_id, flow_name, state, started) VALUES ('old', 'etl', 'Completed', 1)")
    with SQLiteStore(path) as store:
        assert [r.run_id for r in store.queries.page_flow_runs(RunFilter()).runs] == ["old"]
        info = store.queries.run_info("old")
        assert info is not None and info.entrypoint is None and not info.external_scheduler
        assert store.queries.graph("old") == []
