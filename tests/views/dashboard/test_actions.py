"""Cancel and re-run from the dashboard, against real driver processes on this host; off with --read-only."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orchestrator.history.store import FlowRunRow, SQLiteStore
from tests.processes import stop
from tests.views.dashboard.handler_case import DashboardCase

pytestmark = pytest.mark.slow

FLOWS = """
import time
from orchestrator import flow, get_run_logger, task


@task
def spin(marker: str) -> None:
    get_run_logger().info("spinning")
    while True:
        time.sleep(0.05)


@flow
def spinning(marker: str = "m") -> None:
    spin(marker)


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@flow
def squares(n: int = 3, label: str = "sq") -> int:
    return total(square.map(range(n)))
"""


class TestActions(DashboardCase):
    def driver(self, target: str, *args: str) -> subprocess.Popen[str]:
        """``daskflow run`` in a subprocess on this test's store, with SIGINT handled as usual."""
        flows = self.home / "flows.py"
        flows.write_text(FLOWS)
        env = {**os.environ, "DASKFLOW_HOME": str(self.home), "TERM": "dumb"}
        return subprocess.Popen(
            [sys.executable, "-m", "orchestrator", "run", f"{flows}:{target}", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def run_of(self, pid: int, running_task: bool = False) -> FlowRunRow:
        """The flow run the driver with this pid recorded (once its task runs, if asked)."""
        deadline = time.monotonic() + 120
        with SQLiteStore(self.seeded.path) as store:
            while time.monotonic() < deadline:
                found = [r for r in store.list_flow_runs(limit=0) if r.pid == pid]
                if found and (not running_task or store.task_state_counts(found[0].run_id).get("Running")):
                    return found[0]
                time.sleep(0.1)
        raise AssertionError(f"driver {pid} recorded no run")

    def test_cancel_interrupts_a_local_driver_and_the_run_ends_cancelled(self) -> None:
        """POST cancel sends SIGINT to the run's driver, which records the run and its task run Cancelled."""
        driver = self.driver("spinning", "--executor", "local")
        try:
            run = self.run_of(driver.pid, running_task=True)
            assert self.get_json(f"/api/runs/{run.run_id}")["actions"]["cancel"] == {"allowed": True, "reason": None}
            response = self.post(f"/api/runs/{run.run_id}/cancel")
            assert response.code == 200 and json.loads(response.body)["signalled"] == driver.pid
            output, _ = driver.communicate(timeout=120)
            assert driver.returncode == 130, output
        finally:
            stop(driver)
        with SQLiteStore(self.seeded.path) as store:
            row = store.get_flow_run(run.run_id)
            assert row is not None and row.state == "Cancelled"
            assert store.task_state_counts(run.run_id) == {"Cancelled": 1}

    def test_cancel_refuses_runs_it_cannot_or_must_not_signal(self) -> None:
        """A finished run, a driver elsewhere, the dashboard itself, a recycled pid or a deaf one: no signal."""
        sleeper = subprocess.Popen(["sleep", "300"])
        try:
            with SQLiteStore(self.seeded.path) as store:
                # Its run started an hour before the process with its pid did: the pid was reused.
                store.create_flow_run(
                    "recycled", "etl", {}, time.time() - 3600, host=socket.gethostname(), pid=sleeper.pid
                )
                store.create_flow_run("deaf", "etl", {}, time.time(), host=socket.gethostname(), pid=sleeper.pid)
                store.create_flow_run("remote", "etl", {}, time.time(), host="elsewhere", pid=sleeper.pid)
            reasons = {
                self.seeded.done: "not Running",
                "remote": "runs on elsewhere",
                self.seeded.live: "this dashboard's own process",
                "recycled": f"its driver (pid {sleeper.pid}) is gone",
                "deaf": "has no SIGINT handler",
            }
            for run_id, reason in reasons.items():
                response = self.post(f"/api/runs/{run_id}/cancel")
                assert response.code == 409 and reason in json.loads(response.body)["error"], run_id
            assert sleeper.poll() is None  # never signalled
        finally:
            stop(sleeper)

    def test_rerun_starts_the_flow_again_with_the_same_parameters(self) -> None:
        """POST rerun starts `daskflow run` for the recorded entrypoint and answers the new run's id."""
        first = self.driver("squares", "--param", "n=4", "--param", "label=7", "--executor", "local")
        try:
            output, _ = first.communicate(timeout=120)
            assert first.returncode == 0, output
            original = self.run_of(first.pid)
        finally:
            stop(first)
        response = self.post(f"/api/runs/{original.run_id}/rerun")
        assert response.code == 200, response.body
        started = json.loads(response.body)
        pid = started["pid"]
        try:
            deadline = time.monotonic() + 120
            with SQLiteStore(self.seeded.path) as store:
                row = store.get_flow_run(started["run"])
                while row is not None and row.state == "Running" and time.monotonic() < deadline:
                    time.sleep(0.1)
                    row = store.get_flow_run(started["run"])
                info = store.queries.run_info(started["run"])
            # The store says Completed before the driver prints its result line: wait for that line
            # (or the driver's end) rather than stop it first.
            log = Path(started["log"])
            while "result: " not in log.read_text() and _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            if Path(f"/proc/{pid}").exists():
                os.kill(pid, signal.SIGTERM)
        assert row is not None and row.state == "Completed", log.read_text()
        assert row.parameters == original.parameters == {"n": 4, "label": "7"}
        assert info is not None and info.executor is not None and info.executor.startswith("LocalExecutor")
        assert "result: 14" in log.read_text()

    def test_rerun_needs_a_recorded_entrypoint(self) -> None:
        """A run without an entrypoint (a notebook's flow) cannot be re-run, and the answer says why."""
        response = self.post(f"/api/runs/{self.seeded.done}/rerun")
        assert response.code == 409 and "did not record where its flow is defined" in json.loads(response.body)["error"]


class TestReadOnly(DashboardCase):
    read_only = True

    def test_read_only_turns_every_action_off(self) -> None:
        """--read-only: the header offers no action and both POSTs are refused, saying why."""
        with SQLiteStore(self.seeded.path) as store:
            store.set_flow_run_info(self.seeded.done, {"entrypoint": "/x/flows.py:etl"})
        actions = self.get_json(f"/api/runs/{self.seeded.done}")["actions"]
        assert actions["cancel"]["allowed"] is False and actions["rerun"]["reason"] == "the dashboard runs --read-only"
        assert self.get_json("/api/session")["read_only"] is True
        for action in ("cancel", "rerun"):
            response = self.post(f"/api/runs/{self.seeded.live}/{action}")
            assert response.code == 409 and "--read-only" in json.loads(response.body)["error"]


def _alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (an exited child not yet reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
