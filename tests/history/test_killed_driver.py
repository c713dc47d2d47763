"""Nothing stays Running: a driver killed by PID is marked Crashed by the next daskflow process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.history.store import FlowRunRow, SQLiteStore

pytestmark = pytest.mark.slow

#: Backstop only: the driver normally reports its task Running within a few seconds.
BACKSTOP = 90.0


def _wait_until_running(db: Path, driver: subprocess.Popen[bytes]) -> FlowRunRow:
    """Poll the store until the driver's run and its task run are both Running."""
    deadline = time.monotonic() + BACKSTOP
    while time.monotonic() < deadline:
        assert driver.poll() is None, "the driver exited before its task started"
        if db.exists():
            with SQLiteStore(db) as store:
                for run in store.list_flow_runs(state="Running"):
                    if [t.state for t in store.list_task_runs(run.run_id)] == ["Running"]:
                        return run
        time.sleep(0.05)
    raise AssertionError(f"no Running run with a Running task in {db} within {BACKSTOP} s")


def test_a_killed_driver_leaves_its_run_and_unfinished_tasks_crashed(
    home: Path,
    env: dict[str, str],
    flows_file: Path,
    daskflow: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """SIGKILL the driver mid-task: runs ls with a short grace marks the run and its running task Crashed."""
    driver = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "run", f"{flows_file}:stuck", "--executor", "local"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run = _wait_until_running(home / "daskflow.db", driver)
        assert run.pid == driver.pid
    finally:
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(30)

    # Within the default grace the run is presumed alive and left alone.
    assert run.run_id in daskflow("runs", "ls", "--state", "Running").stdout

    listing = daskflow("runs", "ls", DASKFLOW_HEARTBEAT_GRACE="0.001")
    assert listing.returncode == 0, listing.stderr
    (line,) = [line for line in listing.stdout.splitlines() if line.startswith(run.run_id)]
    assert line.split()[2] == "Crashed"
    with SQLiteStore(home / "daskflow.db") as store:
        crashed = store.get_flow_run(run.run_id)
        assert crashed is not None and crashed.state == "Crashed" and crashed.ended is not None
        assert crashed.message is not None and "driver heartbeat stopped" in crashed.message
        (task_run,) = store.list_task_runs(run.run_id)
        assert (task_run.name, task_run.state) == ("block", "Crashed")
        assert task_run.message is not None and task_run.message.startswith("flow run crashed: driver heartbeat")
        logs = store.get_logs(run.run_id, task="block")
        assert [log.message for log in logs] == ["blocking"]
