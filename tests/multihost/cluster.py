"""A Dask cluster across the test network's hosts, and a driver host that runs flows with ``daskflow run``.

Hosts: ``sched`` (198.18.0.1) runs ``dask scheduler``; ``w1``..``w3``
(198.18.0.11-13) each run one ``dask worker`` without a nanny, so the PID the
test holds is the worker itself; ``driver`` (198.18.0.20) runs
``python -m orchestrator run FILE:FLOW`` with ``DASKFLOW_ADDRESS`` pointing
at the scheduler. Every process shares the test's filesystem, so the run
store (``home/daskflow.db``) and marker files are read from outside.

Faults need Dask to notice a silent peer in seconds rather than minutes, so
every process runs with a short TCP timeout (``distributed.comm.timeouts.tcp``
11 s, the least Dask accepts) and the scheduler drops workers that miss
heartbeats for 5 s (``worker-ttl``); ``deploy/README.md`` recommends the same
on networks where hosts can vanish.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tests.processes import DASK

from .netns import Network

__all__ = ["FAULT_CONFIG", "HOSTS", "MultiHostCluster", "SCHEDULER_PORT"]

HOSTS = {"sched": 1, "w1": 11, "w2": 12, "w3": 13, "driver": 20}
WORKERS = ("w1", "w2", "w3")
SCHEDULER_PORT = 8786
PROBE = str(Path(__file__).with_name("probe.py"))
FLOWS = str(Path(__file__).with_name("flows.py"))
REPO = str(Path(__file__).resolve().parents[2])
FAULT_CONFIG = {
    "DASK_DISTRIBUTED__COMM__TIMEOUTS__TCP": "11s",
    "DASK_DISTRIBUTED__SCHEDULER__WORKER_TTL": "5s",
}


class MultiHostCluster:
    """The network plus the Dask processes on it; ``close()`` stops everything by PID and namespace."""

    def __init__(self, network: Network, workdir: Path, home: Path) -> None:
        self.net = network
        self.workdir = workdir
        self.home = home
        self.address = f"tcp://{network.addresses['sched']}:{SCHEDULER_PORT}"
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: dict[str, subprocess.Popen[bytes]] = {}
        #: worker name -> its Dask address
        self.worker_addresses: dict[str, str] = {}

    # -- processes -------------------------------------------------------------

    def start_scheduler(self, extra: Sequence[str] = (), env: Mapping[str, str] | None = None) -> None:
        argv = [DASK, "scheduler", "--host", self.net.addresses["sched"], "--port", str(SCHEDULER_PORT)]
        self.scheduler = self.net.start(
            "sched", [*argv, "--no-dashboard", *extra], env={**FAULT_CONFIG, **(env or {})}, cwd=self.workdir
        )

    def start_worker(self, name: str, extra: Sequence[str] = (), address: str | None = None) -> None:
        argv = [
            DASK,
            "worker",
            address or self.address,
            "--host",
            self.net.addresses[name],
            "--no-nanny",
            "--no-dashboard",
            "--nthreads",
            "1",
            "--name",
            name,
            *extra,
        ]
        self.workers[name] = self.net.start(name, argv, env=FAULT_CONFIG, cwd=self.workdir)

    def start(
        self, worker_extra: Mapping[str, Sequence[str]] | None = None, scheduler_env: Mapping[str, str] | None = None
    ) -> None:
        """The scheduler and the three workers; returns once every worker joined."""
        self.start_scheduler(env=scheduler_env)
        for name in WORKERS:
            self.start_worker(name, (worker_extra or {}).get(name, ()))
        self.worker_addresses = self.probe("workers", str(len(WORKERS)))

    def drive(
        self,
        flow: str,
        params: Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        resume: str | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``daskflow run flows.py:FLOW [--resume RUN_ID]`` on the driver host, against this cluster."""
        argv = [sys.executable, "-m", "orchestrator", "run", f"{FLOWS}:{flow}"]
        for key, value in (params or {}).items():
            argv += ["--param", f"{key}={value}"]
        if resume is not None:
            argv += ["--resume", resume]
        return self.net.start("driver", argv, env={**self.driver_env(), **(env or {})}, cwd=self.workdir)

    def driver_env(self) -> dict[str, str]:
        return {
            **FAULT_CONFIG,
            "DASKFLOW_ADDRESS": self.address,
            "DASKFLOW_HOME": str(self.home),
            "TERM": "dumb",
            "PYTHONPATH": REPO,
        }

    def probe(self, command: str, *args: str, host: str = "driver") -> Any:
        """Ask the scheduler something from inside ``host`` (tests/multihost/probe.py); the parsed answer."""
        done = self.net.run(host, [sys.executable, PROBE, command, self.address, *args])
        if done.returncode != 0:
            raise AssertionError(f"probe {command} {args} from {host} failed:\n{done.stdout}\n{done.stderr}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def close(self) -> None:
        self.net.destroy()

    # -- waiting ---------------------------------------------------------------

    def wait_for_files(self, pattern: str, count: int, within: float, driver: subprocess.Popen[bytes]) -> list[Path]:
        """Wait until ``count`` files match ``pattern`` in the work directory; fail if the driver exits first."""
        deadline = time.monotonic() + within
        while True:
            found = sorted(self.workdir.glob(pattern))
            if len(found) >= count:
                return found
            if driver.poll() is not None:
                raise AssertionError(f"the driver exited ({driver.returncode}) before {count} x {pattern}")
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len(found)} of {count} x {pattern} within {within} s")
            time.sleep(0.02)
