"""Starting real ``daskflow serve`` processes for the kill tests, and reading back what they claimed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestrator.history.store import SQLiteStore

#: Backstop only: a serve process normally takes the lease within a second or two.
BACKSTOP = 60.0

FLOWS = """
import time
from executors import LocalExecutor
from orchestrator import flow, task


@task
def work() -> int:
    time.sleep(0.3)  # long enough that some kills land mid-run
    return 1


@flow(executor=LocalExecutor())
def beat() -> int:
    return work()
"""


class Servers:
    """``daskflow serve FLOWS:beat --interval 1`` processes on one store; each stopped by its PID."""

    def __init__(self, tmp_path: Path, env: dict[str, str], catchup: str) -> None:
        self.flows = tmp_path / "beat_flows.py"
        self.flows.write_text(FLOWS)
        self.db = Path(env["DASKFLOW_HOME"]) / "daskflow.db"
        # Runs cut short by a kill are reaped Crashed by the next server within a few seconds.
        self.env = {**env, "DASKFLOW_HEARTBEAT_INTERVAL": "0.5", "DASKFLOW_HEARTBEAT_GRACE": "3"}
        self.catchup = catchup
        self.log = (tmp_path / "serve.log").open("ab")
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> subprocess.Popen[bytes]:
        argv = [sys.executable, "-m", "orchestrator", "serve", f"{self.flows}:beat", "--interval", "1"]
        argv += ["--catchup", self.catchup, "--lease-ttl", "5"]
        process = subprocess.Popen(argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def wait_active(self, process: subprocess.Popen[bytes]) -> None:
        """Poll the store until ``process`` holds the serve lease."""
        deadline = time.monotonic() + BACKSTOP
        while time.monotonic() < deadline:
            assert process.poll() is None, f"serve exited with {process.returncode}; see serve.log"
            if self.db.exists():
                with SQLiteStore(self.db) as store:
                    lease = store.schedules.lease()
                if lease is not None and lease.pid == process.pid:
                    return
            time.sleep(0.05)
        raise AssertionError(f"serve pid {process.pid} did not become active within {BACKSTOP} s")

    def wait_drained(self, process: subprocess.Popen[bytes]) -> None:
        """Poll until the server has started every tick it owes that is more than 2 s old."""
        deadline = time.monotonic() + BACKSTOP
        while time.monotonic() < deadline:
            assert process.poll() is None, f"serve exited with {process.returncode}; see serve.log"
            with SQLiteStore(self.db) as store:
                owed = [r for r in store.list_flow_runs(state="Pending", limit=0) if (r.tick or 0) < time.time() - 2]
            if not owed:
                return
            time.sleep(0.2)
        raise AssertionError(f"serve pid {process.pid} still owes {len(owed)} runs after {BACKSTOP} s")

    @staticmethod
    def kill(process: subprocess.Popen[bytes]) -> None:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(BACKSTOP)

    @staticmethod
    def stop(process: subprocess.Popen[bytes]) -> None:
        """A clean stop (SIGTERM): runs going finish, the lease is released; exit code 0."""
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(BACKSTOP) == 0

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(BACKSTOP)
        self.log.close()
