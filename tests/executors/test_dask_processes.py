"""DaskExecutor against real `dask scheduler` and `dask worker` processes on 127.0.0.1.

Each process is started with subprocess and stopped by its PID; the kill test
really kills a worker process mid-task.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executors import DaskExecutor, SchedulerUnreachable
from orchestrator import flow, task
from tests.processes import DaskProcesses, free_port

pytestmark = pytest.mark.cluster


@pytest.fixture
def real_cluster(tmp_path: Path) -> Iterator[DaskProcesses]:
    """A scheduler and two no-nanny 1-thread workers, as separate processes stopped by PID afterwards."""
    cluster = DaskProcesses(tmp_path, tmp_path / "cluster.log")
    try:
        cluster.start_cluster(workers=2)
        yield cluster
    finally:
        cluster.close()


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def where(x: int) -> str:
    from distributed import get_worker

    return str(get_worker().address)


def test_flow_runs_on_remote_processes_through_address(real_cluster: DaskProcesses) -> None:
    """A flow given address= runs on the scheduler's two worker processes."""

    @flow(executor=DaskExecutor(address=real_cluster.address))
    def squares(n: int) -> tuple[int, list[str]]:
        return total(square.map(range(n))), where.map(range(8))

    value, workers = squares(20)
    assert value == sum(i * i for i in range(20))
    run = squares.run(20)
    assert {tr.worker for tr in run.task_runs.values()} <= set(
        DaskExecutor(address=real_cluster.address).client.scheduler_info()["workers"]
    )
    assert all(w.startswith("tcp://127.0.0.1:") for w in workers)


def _run_killing_the_marked_worker(flow_: Any, marker: Path, cluster: DaskProcesses) -> Any:
    """Run ``flow_`` in a thread; SIGKILL the worker whose PID a task writes to ``marker``; the run."""
    import threading

    outcome: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: outcome.update(run=flow_.run()))
    runner.start()
    deadline = time.monotonic() + 120
    while not marker.exists() or not marker.read_text():
        assert time.monotonic() < deadline, "the marking task never started"
        time.sleep(0.05)
    victim = int(marker.read_text())
    assert victim in {p.pid for p in cluster.workers}
    os.kill(victim, signal.SIGKILL)
    runner.join(180)
    assert not runner.is_alive()
    return outcome["run"]


def test_killed_worker_task_reruns_and_flow_completes(real_cluster: DaskProcesses, tmp_path: Path) -> None:
    """Killing a worker by PID mid-task: Dask reruns the task on the other worker and the result is right."""
    marker = tmp_path / "first-attempt-pid"

    @task
    def slow_once(x: int) -> int:
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(120)  # killed long before this ends
        return x * 10

    executor = DaskExecutor(address=real_cluster.address)

    @flow(executor=executor)
    def resilient() -> int:
        return total([slow_once(4), square(3)])

    run = _run_killing_the_marked_worker(resilient, marker, real_cluster)
    assert run.value == 49
    survivor = run.by_name("slow_once").worker
    assert survivor is not None
    assert survivor in executor.client.scheduler_info()["workers"]


def test_a_worker_killed_mid_batch_reruns_the_batch_and_every_call_completes(
    real_cluster: DaskProcesses, tmp_path: Path
) -> None:
    """Killing a worker by PID inside a batch of sibling calls: Dask reruns the batch, each call ends Completed."""
    marker = tmp_path / "batch-victim-pid"

    @task
    def part(i: int) -> int:
        if i == 300 and not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(120)  # killed long before this ends
        return i

    submitted: list[str] = []

    class Recording(DaskExecutor):
        def submit(self, graph: Any, keys: Any, annotations: Any = None) -> Any:
            submitted.extend(graph)
            return super().submit(graph, keys, annotations)

    executor = Recording(address=real_cluster.address)

    @flow(executor=executor)
    def wide() -> int:
        return total([part(i) for i in range(600)])  # 600 siblings on 2 threads: batches of 37

    run = _run_killing_the_marked_worker(wide, marker, real_cluster)
    assert run.value == sum(range(600))
    parts = [tr for tr in run.task_runs.values() if tr.task == "part"]
    assert len(parts) == 600
    assert {tr.state.value for tr in parts} == {"Completed"}
    assert sum(key.endswith("-batch") for key in submitted) == -(-600 // 37)
    assert parts[300].worker in executor.client.scheduler_info()["workers"]  # the survivor ran it


def test_unreachable_scheduler_errors_within_the_connect_timeout() -> None:
    """An address where nothing listens gives SchedulerUnreachable within the connect timeout."""
    address = f"tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    with pytest.raises(SchedulerUnreachable, match=f"no Dask scheduler answered at {address}"):
        DaskExecutor(address=address, connect_timeout=2).start()
    assert time.monotonic() - started < 2 + 30  # backstop only: it must not hang


def test_ten_thousand_tasks_leave_only_referenced_results(local_cluster: Any) -> None:
    """A 10,000-task flow completes, and afterwards the cluster holds none of its intermediate results."""
    executor = DaskExecutor(cluster=local_cluster)

    @flow(executor=executor)
    def fan(n: int) -> int:
        return total([square(i) for i in range(n)])

    run = fan.run(10_000)
    assert run.value == sum(i * i for i in range(10_000))
    assert len(run.task_runs) == 10_001 and run.counts() == {"Completed": 10_001}

    def keys_of_run(dask_scheduler: Any, run_id: str) -> list[str]:
        return [str(k) for k in dask_scheduler.tasks if run_id in str(k)]

    deadline = time.monotonic() + 60
    while remaining := executor.client.run_on_scheduler(keys_of_run, run_id=run.id):
        assert time.monotonic() < deadline, f"still held after the run: {remaining[:5]}"
        time.sleep(0.1)
