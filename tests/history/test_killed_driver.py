"""Nothing stays Running: a driver killed by PID is marked Crashed by the next daskflow process, at once.

(Drivers of other hosts, which no process check can see, are covered by the
heartbeat grace: tests/history/store/test_store_liveness.py and test_store_reaper.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.history.store import SQLiteStore
from tests.processes import wait_until_running

pytestmark = pytest.mark.slow


def test_a_killed_driver_shows_crashed_at_the_next_runs_ls_without_waiting(
    home: Path,
    env: dict[str, str],
    flows_file: Path,
    daskflow: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """SIGKILL the driver mid-task: the very next runs ls shows the run and its running task Crashed, saying why."""
    driver = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "run", f"{flows_file}:stuck", "--executor", "local"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run = wait_until_running(home / "daskflow.db", driver)
        assert run.pid == driver.pid
    finally:
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(30)

    # At once, within the default 60 s grace: the driver's pid is gone from this host.
    listing = daskflow("runs", "ls")
    assert listing.returncode == 0, listing.stderr
    (line,) = [line for line in listing.stdout.splitlines() if line.startswith(run.run_id)]
    assert line.split()[2] == "Crashed"
    with SQLiteStore(home / "daskflow.db") as store:
        crashed = store.get_flow_run(run.run_id)
        assert crashed is not None and crashed.state == "Crashed" and crashed.ended is not None
        assert crashed.message is not None
        assert f"the driver process (pid {driver.pid} on " in crashed.message
        assert "process check at store open" in crashed.message
        (task_run,) = store.list_task_runs(run.run_id)
        assert (task_run.name, task_run.state) == ("block", "Crashed")
        assert task_run.message is not None and task_run.message.startswith("flow run crashed: the driver process")
        logs = store.get_logs(run.run_id, task="block")
        assert [log.message for log in logs] == ["blocking"]
