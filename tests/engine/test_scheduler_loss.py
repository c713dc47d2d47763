"""Losing the Dask scheduler mid-run: the run ends Crashed, says so, and nothing hangs.

A real ``dask scheduler`` and two ``dask worker`` processes run on 127.0.0.1;
the test kills the scheduler by its PID while the flow's tasks are running,
either while the driver waits for the end of the run or while the flow body
waits for a task's value.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executors import DaskExecutor, SchedulerUnreachable
from orchestrator import FlowRunFailed, StateType, flow, task
from orchestrator.history.store import SQLiteStore
from tests.processes import DaskProcesses

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

#: Backstop for the run to end after the scheduler died; it takes about a second.
ENDS_WITHIN = 60


@task
def hold(i: int, folder: str) -> int:
    """Runs until the test lets go (a file appears), so the scheduler dies under it."""
    Path(folder, f"started-{i}").touch()
    while not Path(folder, "release").exists():
        threading.Event().wait(0.05)
    return i


@task
def add(values: list[int]) -> int:
    return sum(values)


@pytest.fixture
def cluster(tmp_path: Path, home: Path) -> Iterator[DaskProcesses]:
    """A scheduler and two 1-thread workers; every task is released and every process stopped afterwards."""
    processes = DaskProcesses(tmp_path, tmp_path / "cluster.log")
    try:
        processes.start_cluster(workers=2)
        yield processes
    finally:
        (tmp_path / "release").touch()
        processes.close()


def _run_and_kill(flow_fn: Any, cluster: DaskProcesses, folder: Path) -> tuple[Any, float]:
    """Run the flow in a thread, kill the scheduler once both holds started; the run and seconds after the kill."""
    outcome: dict[str, Any] = {}
    runner = threading.Thread(target=lambda: outcome.update(run=flow_fn.run(folder=str(folder))), daemon=True)
    runner.start()
    deadline = time.monotonic() + 120
    while len(list(folder.glob("started-*"))) < 2:
        assert time.monotonic() < deadline, "the tasks never started"
        time.sleep(0.05)
    assert cluster.scheduler is not None
    os.kill(cluster.scheduler.pid, signal.SIGKILL)
    killed = time.monotonic()
    runner.join(ENDS_WITHIN)
    assert not runner.is_alive(), "the run did not end after the scheduler died"
    return outcome["run"], time.monotonic() - killed


def _assert_crashed(run: Any, home: Path) -> None:
    assert run.state is StateType.CRASHED
    assert "lost the connection to the Dask scheduler" in (run.message or "")
    assert {tr.state for tr in run.task_runs.values()} == {StateType.CRASHED}
    with pytest.raises(FlowRunFailed, match="lost the connection to the Dask scheduler"):
        run.result()
    with SQLiteStore(home / "daskflow.db") as store:
        row = store.get_flow_run(run.id)
        assert row is not None and row.state == "Crashed"
        assert "lost the connection to the Dask scheduler" in (row.message or "")
        assert {t.state for t in store.list_task_runs(run.id)} == {"Crashed"}


def test_scheduler_killed_while_the_driver_waits_crashes_the_run(
    cluster: DaskProcesses, tmp_path: Path, home: Path
) -> None:
    """Killing the scheduler mid-run ends the run Crashed with a message naming the lost connection."""
    executor = DaskExecutor(address=cluster.address, connect_timeout=5)

    @flow(executor=executor)
    def held(folder: str) -> int:
        return add([hold(0, folder), hold(1, folder)])

    run, _ = _run_and_kill(held, cluster, tmp_path)
    _assert_crashed(run, home)
    with pytest.raises(SchedulerUnreachable):  # the next run says the scheduler is gone, within the timeout
        held.run(folder=str(tmp_path))


def test_scheduler_killed_while_the_body_waits_for_a_value_crashes_the_run(
    cluster: DaskProcesses, tmp_path: Path, home: Path
) -> None:
    """A body blocked in .result() when the scheduler dies ends Crashed too, not Failed with a body error."""
    executor = DaskExecutor(address=cluster.address, connect_timeout=5)

    @flow(executor=executor)
    def waits(folder: str) -> int:
        first = hold(0, folder)
        hold(1, folder)
        return first.result() + 1

    run, _ = _run_and_kill(waits, cluster, tmp_path)
    assert run.body_error is None
    _assert_crashed(run, home)
