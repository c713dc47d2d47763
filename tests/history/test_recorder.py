"""The driver's recorder, in process: flow runs, task runs, logs and final states land in the store."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from orchestrator import FlowRun, LocalExecutor, StateType, flow, task
from orchestrator.history.recorder import Recorder, open_history_store
from orchestrator.history.store import SQLiteStore, StoreError
from orchestrator.records.clock import FakeClock
from orchestrator.records.errors import OrchestratorError
from orchestrator.worker.prints import capture_prints
from orchestrator.worker.run_logs import NoRunContext, get_run_logger

T0 = 1_800_000_000.0


def _store(home: Path) -> SQLiteStore:
    return SQLiteStore(home / "daskflow.db")


@task
def add_one(x: int) -> int:
    get_run_logger().info("adding one to %d", x)
    return x + 1


@task
def fail(x: int) -> int:
    raise ValueError(f"bad {x}")


@flow
def plus(n: int = 3) -> list[int]:
    get_run_logger().warning("starting with %d", n)
    return add_one.map(range(n))


def test_a_flow_run_is_recorded_with_parameters_tasks_and_logs(home: Path) -> None:
    """A completed run stores its parameters, host and pid, every task run, and task and flow logs."""
    run = plus.run(n=3, executor=LocalExecutor())
    with _store(home) as store:
        row = store.get_flow_run(run.id)
        assert row is not None
        assert (row.flow_name, row.state, row.parameters) == ("plus", "Completed", {"n": 3})
        assert row.host and row.pid and row.ended is not None
        tasks = store.list_task_runs(run.id)
        assert sorted(t.name for t in tasks) == ["add_one[0]", "add_one[1]", "add_one[2]"]
        assert {t.state for t in tasks} == {"Completed"}
        logs = store.get_logs(run.id)
        assert [(log.name, log.level, log.message) for log in logs if log.name is None] == [
            (None, "WARNING", "starting with 3")
        ]
        assert sorted(log.message for log in logs if log.name) == [f"adding one to {i}" for i in range(3)]
        assert store.get_logs(run.id, task="add_one[1]")[0].message == "adding one to 1"


def test_failed_tasks_are_recorded_with_their_traceback(home: Path) -> None:
    """A task's exception reaches the store as type, message and traceback text, and the run is Failed."""

    @flow
    def failing() -> int:
        return fail(1)

    run = failing.run(executor=LocalExecutor())
    with _store(home) as store:
        row = store.get_flow_run(run.id)
        assert row is not None and row.state == "Failed"
        (task_run,) = store.list_task_runs(run.id)
        assert (task_run.state, task_run.error_type, task_run.error_message) == ("Failed", "ValueError", "bad 1")
        assert task_run.traceback is not None and "raise ValueError" in task_run.traceback


def test_recording_off_writes_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With DASKFLOW_RECORD=0 a run still works but leaves no record."""
    monkeypatch.setenv("DASKFLOW_RECORD", "0")
    run = plus.run(n=2, executor=LocalExecutor())
    assert run.is_completed
    assert not (home / "daskflow.db").exists()


def test_an_interrupted_run_is_cancelled_in_the_store_before_the_interrupt_propagates(home: Path) -> None:
    """KeyboardInterrupt in the body: the run and its unfinished task runs are Cancelled by the time it surfaces."""
    release = threading.Event()

    @task
    def wait_for_release() -> None:
        release.wait(60)

    @flow
    def interrupted() -> None:
        future = wait_for_release.submit()
        future.wait(0.0)  # flushes: the task is now running on a pool thread
        raise KeyboardInterrupt

    seen: list[Any] = []
    try:
        with pytest.raises(KeyboardInterrupt):
            try:
                interrupted.run(executor=LocalExecutor(threads=1))
            except KeyboardInterrupt:
                with _store(home) as store:
                    (row,) = store.list_flow_runs()
                    seen.extend([row, store.list_task_runs(row.run_id)])
                raise
    finally:
        release.set()
    row, tasks = seen
    assert row.state == "Cancelled"
    assert row.message == "interrupted by the user (KeyboardInterrupt)"
    assert [(t.name, t.state) for t in tasks] == [("wait_for_release", "Cancelled")]


def test_an_unreachable_scheduler_leaves_the_run_crashed_with_the_reason(home: Path) -> None:
    """When the executor cannot start, the run recorded as Running becomes Crashed, naming the error."""
    from executors import DaskExecutor, SchedulerUnreachable

    with pytest.raises(SchedulerUnreachable):
        plus.run(executor=DaskExecutor(address="tcp://127.0.0.1:1", connect_timeout=0.5))
    with _store(home) as store:
        (row,) = store.list_flow_runs()
        assert row.state == "Crashed"
        assert row.message is not None and "SchedulerUnreachable" in row.message


def test_the_recorder_heartbeats_on_its_clock(home: Path) -> None:
    """Once the interval has passed on the recorder's clock, the next wake-up writes a heartbeat."""
    clock = FakeClock(T0)
    store = open_history_store(home / "daskflow.db")
    run = FlowRun("beating", "f", {})
    recorder = Recorder(store, run, interval=5.0, clock=clock)
    recorder.begin()
    clock.advance(6.0)
    recorder.on_event({"run": "beating", "kind": "logs", "records": []})  # wakes the writer thread
    run.state, run.end = StateType.COMPLETED, T0 + 7
    recorder.finish()
    row = store.get_flow_run("beating")
    assert row is not None
    assert (row.started, row.heartbeat, row.state, row.ended) == (T0, T0 + 6.0, "Completed", T0 + 7)


def test_opening_the_store_reaps_runs_whose_heartbeat_stopped(tmp_path: Path) -> None:
    """The first open in a process marks a run silent for longer than the grace as Crashed."""
    path = tmp_path / "reap" / "daskflow.db"
    path.parent.mkdir()
    with SQLiteStore(path) as store:
        store.create_flow_run("dead", "f", {}, T0)
        store.record_task_events([{"run": "dead", "key": "k", "state": "Running", "ts": T0 + 1}])
    reader = open_history_store(path, now=T0 + 3600)
    row = reader.get_flow_run("dead")
    assert row is not None and row.state == "Crashed"
    assert row.message is not None and "heartbeat stopped" in row.message
    assert [t.state for t in reader.list_task_runs("dead")] == ["Crashed"]


def test_get_run_logger_outside_a_run_says_where_it_works() -> None:
    """Outside any task or flow, get_run_logger raises NoRunContext, an OrchestratorError."""
    with pytest.raises(NoRunContext, match="inside a @task or @flow"):
        get_run_logger()
    assert issubclass(NoRunContext, OrchestratorError)


def test_capture_prints_turns_prints_into_run_logs(home: Path) -> None:
    """print() inside capture_prints() in a task or a flow becomes an INFO record of that run."""

    @task
    def chatty(x: int) -> int:
        with capture_prints():
            print("task says", x)
        return x

    @flow
    def talk() -> int:
        with capture_prints():
            print("flow says hi")
        return chatty(7)

    run: FlowRun = talk.run(executor=LocalExecutor())
    with _store(home) as store:
        logs = [(log.name, log.level, log.message) for log in store.get_logs(run.id)]
    assert logs == [(None, "INFO", "flow says hi"), ("chatty", "INFO", "task says 7")]


def test_store_errors_share_the_one_root() -> None:
    """StoreError is an OrchestratorError, so one except clause covers every daskflow failure."""
    assert issubclass(StoreError, OrchestratorError)


def test_a_run_records_its_graph_executor_and_entrypoint(home: Path) -> None:
    """The store gets each flush's nodes with their upstream keys, the executor, and how to load the flow again."""

    @task
    def total(xs: list[int]) -> int:
        return sum(xs)

    @flow
    def nested(n: int = 3) -> int:  # defined in a function: nothing to load it again by
        return total(add_one.map(range(n)))

    run = plus.run(n=2, executor=LocalExecutor())
    other = nested.run(executor=LocalExecutor())
    with _store(home) as store:
        nodes = store.queries.graph(run.id)
        assert sorted(n.name for n in nodes) == ["add_one[0]", "add_one[1]"]
        info = store.queries.run_info(run.id)
        assert info is not None
        assert info.executor == "LocalExecutor(synchronous)" and info.scheduler is None and info.dashboard is None
        assert info.entrypoint is not None and info.entrypoint.endswith("test_recorder:plus")
        graph = store.queries.graph(other.id)
        (sink,) = [n for n in graph if n.task == "total"]
        assert sorted(sink.upstream) == sorted(n.key for n in graph if n.task == "add_one")
        assert store.queries.graph_totals(other.id) == {"add_one": 3, "total": 1}
        nested_info = store.queries.run_info(other.id)
        assert nested_info is not None and nested_info.entrypoint is None


@pytest.mark.cluster
def test_a_dask_run_records_its_scheduler_and_dashboard_link(home: Path, local_cluster: Any) -> None:
    """A run on Dask stores the scheduler's address and dashboard link, and whether it was reached by address."""
    from executors import DaskExecutor
    from executors.dask_cluster import close_clients

    by_object = plus.run(n=1, executor=DaskExecutor(cluster=local_cluster))
    by_address = plus.run(n=1, executor=DaskExecutor(address=local_cluster.scheduler_address))
    close_clients(local_cluster.scheduler_address)
    with _store(home) as store:
        first, second = store.queries.run_info(by_object.id), store.queries.run_info(by_address.id)
    assert first is not None and second is not None
    assert first.scheduler == second.scheduler == local_cluster.scheduler_address
    assert first.dashboard == local_cluster.dashboard_link and first.dashboard.startswith("http://127.0.0.1:")
    assert (first.external_scheduler, second.external_scheduler) == (False, True)
    assert first.executor == f"DaskExecutor({local_cluster.scheduler_address})"
