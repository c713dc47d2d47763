"""Tag concurrency limits on real ``dask scheduler`` / ``dask worker`` processes.

Every task notes its own start and end (time and worker pid) in a ledger file; overlaps are measured
from those times, never from the scheduler's view. Workers are killed by PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executors import DaskExecutor
from orchestrator import Flow, StateType
from orchestrator.authoring.loader import load_flow
from orchestrator.history.store import SQLiteStore
from tests.intervals import max_overlap
from tests.processes import DaskProcesses

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

#: Backstop for a run or a wait; the runs here take seconds (the GIL test 30 s).
BACKSTOP = 180

FLOWS = """
import ctypes
import os
import time

from orchestrator import flow, task, unmapped


def note(ledger, what, i):
    with open(ledger, "a") as out:
        out.write(f"{what} {i} {time.time()!r} {os.getpid()}\\n")


@task(tags={"db"})
def query(ledger: str, i: int, seconds: float) -> int:
    note(ledger, "start", i)
    time.sleep(seconds)
    note(ledger, "end", i)
    return i


@task(tags={"db"})
def hog(ledger: str, seconds: int) -> int:
    note(ledger, "start", "hog")
    # libc's sleep called without releasing the GIL: the worker's threads and event loop all stop.
    ctypes.PyDLL(None).sleep(seconds)
    note(ledger, "end", "hog")
    return seconds


@task(tags={"db"})
def threads_now(i: int) -> tuple[int, int]:
    import threading

    time.sleep(0.05)
    return os.getpid(), threading.active_count()


@flow
def flood(n: int = 80) -> list[tuple[int, int]]:
    return threads_now.map(range(n))


@flow
def queries(ledger: str, n: int = 20, seconds: float = 0.3) -> list[int]:
    return query.map(unmapped(ledger), range(n), unmapped(seconds))


@flow
def hogging(ledger: str, seconds: int = 30) -> int:
    return hog(ledger, seconds)
"""


class Ledger:
    """What the tasks noted: per call, its start and end time and its worker pid."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def rows(self) -> list[tuple[str, str, float, int]]:
        if not self.path.exists():
            return []
        rows = []
        for line in self.path.read_text().splitlines():
            what, name, ts, pid = line.split()
            rows.append((what, name, float(ts), int(pid)))
        return rows

    def starts(self) -> list[tuple[str, float, int]]:
        return [(name, ts, pid) for what, name, ts, pid in self.rows() if what == "start"]

    def intervals(self, killed_at: float | None = None) -> list[tuple[float, float]]:
        """Each attempt's (start, end); an attempt whose worker was killed ends at ``killed_at``."""
        ends = {(name, pid): ts for what, name, ts, pid in self.rows() if what == "end"}
        found = []
        for name, start, pid in self.starts():
            end = ends.get((name, pid), killed_at)
            assert end is not None, f"attempt {name} on pid {pid} never ended"
            found.append((start, end))
        return found

    def wait_for(self, count: int, deadline: float) -> None:
        while len(self.starts()) < count:
            assert time.monotonic() < deadline, f"fewer than {count} tasks started"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaskProcesses]:
    """A scheduler and 4 workers of 4 threads, each a process stopped by its PID afterwards."""
    folder = tmp_path_factory.mktemp("slots-cluster")
    processes = DaskProcesses(folder, folder / "cluster.log")
    try:
        processes.start_cluster(workers=4, nthreads=4)
        yield processes
    finally:
        processes.close()


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    path = tmp_path / "limited.py"
    path.write_text(FLOWS)
    return path


def flow_of(flows: Path, name: str) -> Flow[..., Any]:
    return load_flow(f"{flows}:{name}")


def in_thread(target: Any) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcome.update(run=target()))
    thread.start()
    return thread, outcome


def test_twenty_db_tasks_with_limit_two_on_sixteen_threads_overlap_exactly_two(
    cluster: DaskProcesses, flows: Path, tmp_path: Path, home: Path
) -> None:
    """20 tasks tagged db, limit 2, on 4 workers x 4 threads: at most 2 run at once, and 2 do."""
    ledger = Ledger(tmp_path / "ledger")
    executor = DaskExecutor(address=cluster.address)
    run = flow_of(flows, "queries").run(str(ledger.path), executor=executor, concurrency={"db": 2})
    assert run.is_completed, run.message
    assert len(ledger.intervals()) == 20
    assert max_overlap(ledger.intervals()) == 2
    assert len({pid for _, _, pid in ledger.starts()}) > 1  # the work did spread over the workers
    assert executor.slot_snapshot() == {}  # every slot was given back


def test_a_flood_of_waiting_tasks_does_not_grow_the_workers_by_a_thread_each(
    cluster: DaskProcesses, flows: Path, home: Path
) -> None:
    """80 db tasks under a limit of 1 on 4 x 4 threads: a worker's threads grow by at most its seceded waiters."""
    run = flow_of(flows, "flood").run(executor=DaskExecutor(address=cluster.address), concurrency={"db": 1})
    assert run.is_completed, run.message
    by_worker: dict[int, list[int]] = {}
    for pid, threads in run.value:
        by_worker.setdefault(pid, []).append(threads)
    # Without a cap each of a worker's ~20 waiters would add a thread; with it at most its 4 threads' worth do.
    assert all(max(counts) - min(counts) <= 4 + 1 for counts in by_worker.values()), by_worker


def test_two_concurrent_runs_from_two_drivers_share_one_stored_limit(
    cluster: DaskProcesses, flows: Path, tmp_path: Path, home: Path, env: dict[str, str]
) -> None:
    """`concurrency set db 2`, then one run here and one from a `daskflow run` process: together at most 2."""
    with SQLiteStore(home / "daskflow.db") as store:
        store.limits.set("db", 2, time.time())
    here, there = Ledger(tmp_path / "here"), Ledger(tmp_path / "there")
    command = [sys.executable, "-m", "orchestrator", "run", f"{flows}:queries", "--address", cluster.address,
               "--param", f"ledger={there.path}", "--param", "n=8", "--param", "seconds=1.0"]  # fmt: skip
    other = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        there.wait_for(1, time.monotonic() + BACKSTOP)  # the other driver's run is going: start ours
        run = flow_of(flows, "queries").run(str(here.path), 8, executor=DaskExecutor(address=cluster.address))
        output, _ = other.communicate(timeout=BACKSTOP)
    finally:
        if other.poll() is None:
            other.kill()
            other.wait(30)
    assert run.is_completed and other.returncode == 0, output
    intervals = here.intervals() + there.intervals()
    assert len(intervals) == 16
    assert max_overlap(intervals) == 2
    # Ours started while theirs held the slots, and its tasks waited for them: one limit for both.
    assert run.start is not None and run.start < max(end for _, end in there.intervals())
    with SQLiteStore(home / "daskflow.db") as store:
        waited = [t for t in store.list_task_transitions(run.id) if t.state == "Pending"]
    assert waited and all(t.message == "waiting for a concurrency slot: db (2 slots)" for t in waited)


def test_a_task_holding_the_gil_for_thirty_seconds_does_not_overbook(
    cluster: DaskProcesses, flows: Path, tmp_path: Path, home: Path
) -> None:
    """A db task that holds its worker's GIL for 30 s keeps its slot: with a limit of 2 only one other runs."""
    with SQLiteStore(home / "daskflow.db") as store:
        store.limits.set("db", 2, time.time())
    ledger = Ledger(tmp_path / "ledger")
    deadline = time.monotonic() + BACKSTOP
    hogger, hogged = in_thread(
        lambda: flow_of(flows, "hogging").run(str(ledger.path), executor=DaskExecutor(address=cluster.address))
    )
    ledger.wait_for(1, deadline)
    others = flow_of(flows, "queries").run(str(ledger.path), 6, 2.0, executor=DaskExecutor(address=cluster.address))
    hogger.join(BACKSTOP)
    assert not hogger.is_alive() and hogged["run"].is_completed and others.is_completed
    intervals = ledger.intervals()
    assert len(intervals) == 7
    hog_start, hog_end = intervals[0]
    assert hog_end - hog_start >= 29.0
    assert max_overlap(intervals) == 2
    # The queries ran while the hog held its slot (each one alone beside it), not only after it.
    assert any(start < hog_end for start, _ in intervals[1:])


def test_killing_the_worker_of_a_slot_holder_frees_its_slot_at_once(
    cluster: DaskProcesses, flows: Path, tmp_path: Path, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """SIGKILL the worker of a db task holding a slot: a waiting task starts soon after, overlap stays <= 2."""
    ledger = Ledger(tmp_path / "ledger")
    deadline = time.monotonic() + BACKSTOP
    executor = DaskExecutor(address=cluster.address)
    runner, outcome = in_thread(
        lambda: flow_of(flows, "queries").run(str(ledger.path), 6, 3.0, executor=executor, concurrency={"db": 2})
    )
    ledger.wait_for(2, deadline)
    holders = {pid for _, _, pid in ledger.starts()}
    victim = next(p for p in cluster.workers if p.pid in holders)
    os.kill(victim.pid, signal.SIGKILL)
    killed_at = time.time()
    victim.wait(30)
    runner.join(BACKSTOP)
    assert not runner.is_alive()
    run = outcome["run"]
    assert run.is_completed, run.message
    assert sorted(run.value) == list(range(6))
    intervals = ledger.intervals(killed_at=killed_at)
    assert max_overlap(intervals) <= 2
    started_after = min(start for start, _ in intervals if start > killed_at)
    waited = started_after - killed_at
    with capsys.disabled():
        print(f"\n  a waiting task started {waited:.2f} s after the slot holder's worker was killed")
    assert waited < 5.0, f"the next task started {waited:.2f} s after the kill"
    assert {tr.state for tr in run.task_runs.values()} == {StateType.COMPLETED}


def test_a_restarted_scheduler_fails_the_run_cleanly_and_keeps_no_slots(
    flows: Path, tmp_path: Path, home: Path
) -> None:
    """Kill the scheduler while db tasks hold and wait: the run is Crashed; a new scheduler starts empty."""
    processes = DaskProcesses(tmp_path, tmp_path / "cluster.log")
    ledger = Ledger(tmp_path / "ledger")
    try:
        processes.start_cluster(workers=2, nthreads=2)
        deadline = time.monotonic() + BACKSTOP
        runner, outcome = in_thread(
            lambda: flow_of(flows, "queries").run(
                str(ledger.path), 6, 2.0, executor=DaskExecutor(address=processes.address), concurrency={"db": 1}
            )
        )
        ledger.wait_for(1, deadline)
        assert processes.scheduler is not None
        os.kill(processes.scheduler.pid, signal.SIGKILL)
        processes.scheduler.wait(30)
        runner.join(BACKSTOP)
        assert not runner.is_alive() and outcome["run"].state is StateType.CRASHED
        for worker in processes.workers:
            worker.kill()
            worker.wait(30)

        processes.start_scheduler()  # the same address, a new process
        for name in ("w2", "w3"):
            processes.start_worker(name, nthreads=2)
        executor = DaskExecutor(address=processes.address)
        executor.client.wait_for_workers(2, timeout=BACKSTOP)
        assert executor.slot_snapshot() == {}
        again = Ledger(tmp_path / "again")
        run = flow_of(flows, "queries").run(str(again.path), 6, 0.2, executor=executor, concurrency={"db": 1})
        assert run.is_completed, run.message
        assert max_overlap(again.intervals()) == 1
        assert executor.slot_snapshot() == {}
    finally:
        processes.close()
