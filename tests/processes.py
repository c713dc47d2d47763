"""Helpers for tests that start real processes: a free loopback port, stopping by PID, Dask processes, a dashboard."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from orchestrator.history.store import FlowRunRow, SQLiteStore

#: The ``dask`` command of this interpreter's environment.
DASK = str(Path(sys.executable).parent / "dask")
#: Where the HTTP servers of test schedulers and workers listen: loopback, any free port.
LOOPBACK_ANY = "127.0.0.1:0"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop(process: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Stop a process we started, by its PID: SIGTERM, then SIGKILL if it lingers."""
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(20)


@contextlib.contextmanager
def dashboard(env: Mapping[str, str], cwd: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`daskflow dashboard --port 0` with this environment, and the first line it printed (its URL)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "dashboard", "--port", "0"],
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield process, process.stdout.readline().strip()
    finally:
        stop(process)
        process.communicate()  # and close the pipes


class DaskProcesses:
    """A real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, each stopped by its PID.

    Workers run without a nanny (so the PID is the worker itself), in ``workdir``,
    with ``worker_env`` added to their environment; ``close()`` stops them all.
    """

    def __init__(self, workdir: Path, log: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.address = f"tcp://127.0.0.1:{self.port}"
        self.scheduler: subprocess.Popen[bytes] | None = None
        self.workers: list[subprocess.Popen[bytes]] = []
        self._log = log.open("ab")

    def start_scheduler(self) -> None:
        # Not --no-dashboard: that still serves /health and /metrics on 0.0.0.0:8787. Loopback only.
        argv = [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--dashboard-address", LOOPBACK_ANY]
        self.scheduler = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir)

    def start_worker(
        self,
        name: str,
        nthreads: int = 1,
        extra: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        launcher: Callable[[list[str]], list[str]] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start one worker; ``launcher`` may wrap its command (it must ``exec`` it, keeping the PID)."""
        argv = [
            DASK,
            "worker",
            self.address,
            "--host",
            "127.0.0.1",
            "--no-nanny",
            "--dashboard-address",
            LOOPBACK_ANY,
            "--nthreads",
            str(nthreads),
            "--name",
            name,
            *extra,
        ]
        if launcher is not None:
            argv = launcher(argv)
        process = subprocess.Popen(
            argv, stdout=self._log, stderr=subprocess.STDOUT, cwd=self.workdir, env={**os.environ, **(env or {})}
        )
        self.workers.append(process)
        return process

    def start_cluster(self, workers: int, nthreads: int = 1) -> None:
        """Start the scheduler and ``workers`` workers named w0, w1, ..., and wait until all joined."""
        from distributed import Client

        self.start_scheduler()
        for i in range(workers):
            self.start_worker(f"w{i}", nthreads=nthreads)
        with Client(self.address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        if self.scheduler is not None:
            from executors.dask_cluster import close_clients

            close_clients(self.address)  # no cached client may keep reconnecting to a stopped scheduler
        for process in [*reversed(self.workers), *([self.scheduler] if self.scheduler else [])]:
            stop(process)
        self._log.close()


def wait_until_running(db: Path, driver: subprocess.Popen[bytes], backstop: float = 90.0) -> FlowRunRow:
    """Poll the store until the driver's run and its one task run are both Running (a backstop, not a delay)."""
    deadline = time.monotonic() + backstop
    while time.monotonic() < deadline:
        assert driver.poll() is None, "the driver exited before its task started"
        if db.exists():
            with SQLiteStore(db) as store:
                for run in store.list_flow_runs(state="Running"):
                    if [t.state for t in store.list_task_runs(run.run_id)] == ["Running"]:
                        return run
        time.sleep(0.05)
    raise AssertionError(f"no Running run with a Running task in {db} within {backstop} s")
