"""Two drivers recording into one store at the same time lose nothing and corrupt nothing."""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from orchestrator.history.store import SQLiteStore

pytestmark = pytest.mark.slow

TASKS = 400

FLOW = f"""
from orchestrator import flow, task
from orchestrator.worker.run_logs import get_run_logger


@task
def note(i: int) -> int:
    get_run_logger().info("note %d", i)
    return i


@task
def count(xs: list[int]) -> int:
    return len(xs)


@flow
def chatter(label: str) -> int:
    return count(note.map(range({TASKS})))
"""


def test_two_recording_drivers_share_one_store(home: Path, env: dict[str, str], tmp_path: Path) -> None:
    """Both runs, all their task runs and all their log lines are stored, and the file stays intact."""
    path = tmp_path / "chatter.py"
    path.write_text(FLOW)
    argv = [sys.executable, "-m", "orchestrator", "run", f"{path}:chatter", "--executor", "local"]
    drivers = [
        subprocess.Popen(
            [*argv, "--param", f"label={label}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for label in ("a", "b")
    ]
    outputs = [driver.communicate(timeout=180) for driver in drivers]
    for driver, (out, err) in zip(drivers, outputs):
        assert driver.returncode == 0, err
        assert f"result: {TASKS}" in out

    with SQLiteStore(home / "daskflow.db") as store:
        runs = store.list_flow_runs()
        assert sorted(r.parameters["label"] for r in runs) == ["a", "b"]
        for run in runs:
            assert run.state == "Completed"
            assert store.task_state_counts(run.run_id) == {"Completed": TASKS + 1}
            logs = store.get_logs(run.run_id, task="note")
            assert sorted(log.message for log in logs) == sorted(f"note {i}" for i in range(TASKS))
    with contextlib.closing(sqlite3.connect(home / "daskflow.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
