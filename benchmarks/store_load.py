"""Load on one run store: several drivers run big flows at once on one cluster while ``runs ls`` is timed.

``python -m benchmarks.store_load [--drivers 4] [--tasks 10000] [--workers 2]``
starts a real ``dask scheduler`` and workers on 127.0.0.1, then that many
``daskflow run`` driver processes at once, each running a flow of
``--tasks`` no-op tasks plus one reduce, all recording into one store. While
they run, ``daskflow runs ls`` runs again and again (a fresh process each
time, as a user types it) and its wall time is measured; so is the store
query alone, in this process. At the end it counts each run's task runs in
the store: any count short of ``tasks + 1`` is a lost event.

It prints the figures (medians and maxima; the machine's load skews them)
and ``tests/faults/test_load.py`` asserts the exact counts with the same
code.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["LoadResult", "main", "run_load"]

FLOW = """
from orchestrator import flow, task


@task
def noop(i: int) -> int:
    return i


@task
def count(values: list[int]) -> int:
    return len(values)


@flow
def load(n: int = 10_000) -> int:
    return count(noop.map(range(n)))
"""


@dataclasses.dataclass
class LoadResult:
    """What one load run measured."""

    drivers: int
    tasks: int
    #: Per run id: task runs in the store by state, after every driver exited.
    counts: dict[str, dict[str, int]]
    exit_codes: list[int]
    #: Wall seconds of each ``daskflow runs ls`` process started while the drivers ran.
    ls_seconds: list[float]
    #: Seconds of the store reads behind ``runs ls`` (open, list, count), measured in this process.
    query_seconds: list[float]
    elapsed: float

    @property
    def lost_events(self) -> int:
        return sum(self.tasks + 1 - sum(c.values()) for c in self.counts.values()) + (
            self.drivers - len(self.counts)
        ) * (self.tasks + 1)

    def lines(self) -> list[str]:
        ls, query = self.ls_seconds, self.query_seconds
        return [
            f"{self.drivers} drivers x {self.tasks} tasks in {self.elapsed:.1f} s; exit codes {self.exit_codes}",
            f"task runs recorded per run: {sorted(sum(c.values()) for c in self.counts.values())}"
            f" (expected {self.tasks + 1} each); events lost: {self.lost_events}",
            f"`daskflow runs ls` while loaded: {len(ls)} calls, median {statistics.median(ls):.3f} s,"
            f" max {max(ls):.3f} s (a fresh Python process each time)",
            f"its store reads alone: {len(query)} calls, median {statistics.median(query) * 1000:.1f} ms,"
            f" max {max(query) * 1000:.1f} ms",
        ]


def _query(db: Path) -> float:
    from orchestrator.history.store import SQLiteStore

    started = time.perf_counter()
    with SQLiteStore(db) as store:
        for run in store.list_flow_runs():
            store.task_state_counts(run.run_id)
    return time.perf_counter() - started


def run_load(
    drivers: int, tasks: int, workdir: Path, workers: int = 2, pause: float = 0.0, backstop: float = 900.0
) -> LoadResult:
    """Run the load once in ``workdir`` (its store is ``workdir/home/daskflow.db``); see the module docstring.

    ``pause`` seconds pass between two ``runs ls``: each costs a Python start-up, which on a small
    machine is CPU taken from the drivers being measured.
    """
    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root))
    from tests.processes import DaskProcesses, stop

    home = workdir / "home"
    home.mkdir(parents=True, exist_ok=True)
    flow_file = workdir / "load_flow.py"
    flow_file.write_text(FLOW)
    env = {**os.environ, "DASKFLOW_HOME": str(home), "TERM": "dumb"}
    cluster = DaskProcesses(workdir, workdir / "cluster.log")
    processes: list[subprocess.Popen[bytes]] = []
    ls_seconds: list[float] = []
    query_seconds: list[float] = []
    try:
        cluster.start_cluster(workers=workers, nthreads=2)
        env["DASKFLOW_ADDRESS"] = cluster.address
        started = time.perf_counter()
        for _ in range(drivers):
            argv = [sys.executable, "-m", "orchestrator", "run", f"{flow_file}:load", "--param", f"n={tasks}"]
            log = (workdir / f"driver-{len(processes)}.log").open("wb")
            processes.append(subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=workdir))
            log.close()
        deadline = time.monotonic() + backstop
        while any(p.poll() is None for p in processes):
            if time.monotonic() > deadline:
                raise TimeoutError(f"the drivers did not finish within {backstop:g} s")
            t0 = time.perf_counter()
            listed = subprocess.run(
                [sys.executable, "-m", "orchestrator", "runs", "ls"], env=env, capture_output=True, timeout=backstop
            )
            ls_seconds.append(time.perf_counter() - t0)
            if listed.returncode != 0:
                raise RuntimeError(f"daskflow runs ls failed under load: {listed.stderr.decode()}")
            if (home / "daskflow.db").exists():
                query_seconds.append(_query(home / "daskflow.db"))
            time.sleep(pause)
        elapsed = time.perf_counter() - started
    finally:
        for process in processes:
            stop(process)
        cluster.close()
    from orchestrator.history.store import SQLiteStore

    with SQLiteStore(home / "daskflow.db") as store:
        counts = {run.run_id: store.task_state_counts(run.run_id) for run in store.list_flow_runs(limit=0)}
    return LoadResult(drivers, tasks, counts, [p.returncode for p in processes], ls_seconds, query_seconds, elapsed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_load", description=__doc__.splitlines()[0])
    parser.add_argument("--drivers", type=int, default=4)
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="daskflow-store-load-") as folder:
        result = run_load(args.drivers, args.tasks, Path(folder), workers=args.workers)
    for line in result.lines():
        print(line)
    return 0 if result.lost_events == 0 and set(result.exit_codes) == {0} else 1


if __name__ == "__main__":
    sys.exit(main())
