"""States and logs from tasks on real ``dask scheduler`` / ``dask worker`` processes reach the store."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrator.authoring.loader import load_flow
from orchestrator.history.store import SQLiteStore
from tests.processes import DaskProcesses

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def scheduler_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and one 2-thread worker as separate processes on 127.0.0.1, stopped by PID afterwards."""
    # The worker runs in another directory, so it can import nothing from the tests: flows ship by value.
    tmp = tmp_path_factory.mktemp("cluster")
    processes = DaskProcesses(tmp, tmp / "cluster.log")
    try:
        processes.start_cluster(workers=1, nthreads=2)
        yield processes.address
    finally:
        processes.close()


def test_states_and_logs_from_remote_workers_land_in_the_store(
    scheduler_address: str, flows_file: Path, home: Path
) -> None:
    """A flow on a remote worker process records every task state, its worker address and its log lines."""
    from executors import DaskExecutor

    squares = load_flow(f"{flows_file}:squares")
    run = squares.run(n=6, executor=DaskExecutor(address=scheduler_address, connect_timeout=30))
    assert run.is_completed, run.message
    assert run.value == sum(i * i for i in range(6))
    with SQLiteStore(home / "daskflow.db") as store:
        row = store.get_flow_run(run.id)
        assert row is not None and row.state == "Completed"
        tasks = store.list_task_runs(run.id)
        assert len(tasks) == 7
        assert {t.state for t in tasks} == {"Completed"}
        assert all(t.worker and t.worker.startswith("tcp://127.0.0.1:") for t in tasks)
        assert all(t.worker != scheduler_address for t in tasks)
        logs = store.get_logs(run.id)
        task_lines = sorted((log.name or "", log.message) for log in logs if log.key is not None)
        assert task_lines == [(f"square[{i}]", f"squaring {i}") for i in range(6)]
        assert [log.message for log in logs if log.key is None] == ["flow sq with n=6"]


def test_a_long_remote_task_is_seen_running_then_completed(scheduler_address: str, home: Path, tmp_path: Path) -> None:
    """A remote task that runs past the Running delay records Running, then Completed, in that order."""
    from executors import DaskExecutor

    path = tmp_path / "slow.py"
    path.write_text(
        "import threading\n"
        "from orchestrator import flow, task\n"
        "@task\n"
        "def slow() -> int:\n"
        "    threading.Event().wait(1.5)  # long enough for the worker's watchdog to report Running\n"
        "    return 1\n"
        "@flow\n"
        "def one_slow() -> int:\n"
        "    return slow()\n"
    )
    run = load_flow(f"{path}:one_slow").run(executor=DaskExecutor(address=scheduler_address, connect_timeout=30))
    assert run.is_completed
    with SQLiteStore(home / "daskflow.db") as store:
        (task_run,) = store.list_task_runs(run.id)
        states = [t.state for t in store.list_task_transitions(run.id, task_run.key)]
    assert states == ["Running", "Completed"]


def test_run_with_address_from_the_cli(
    scheduler_address: str, flows_file: Path, daskflow: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """daskflow run --address runs the flow on the remote cluster and exits 0."""
    result = daskflow("run", f"{flows_file}:squares", "--address", scheduler_address, "--param", "n=2")
    assert result.returncode == 0, result.stderr
    assert "result: 1" in result.stdout
    assert "task runs: 3 (Completed 3)" in result.stdout
