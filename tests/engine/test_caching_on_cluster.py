"""Caching on real Dask clusters and real result files: hits across cluster restarts, misses after edits,
results that survive a killed worker, corrupt files, and storage a worker cannot see.

Task bodies note each run in a ledger file, with their process id, so "not recomputed" is counted by
side effects. The flows live in a file under ``tmp_path`` that workers cannot import: they ship by value,
as a user's script does.
"""

from __future__ import annotations

import os
import shlex
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executors import DaskExecutor
from orchestrator import Flow, ResultStorageUnavailable, StateType
from orchestrator.authoring.loader import load_flow
from orchestrator.history.store import SQLiteStore
from tests.processes import DaskProcesses
from tests.sources import write_source

pytestmark = pytest.mark.cluster

#: Backstop for one flow run on a busy 2-core machine; they take a second or two.
BACKSTOP = 120

FLOWS = """
import os
import time

from orchestrator import flow, task

OFFSET = {offset}


def note(ledger, what):
    with open(ledger, "a") as out:
        out.write(f"{{what}} {{os.getpid()}}\\n")


@task(cache=True)
def produce(ledger: str, i: int) -> int:
    note(ledger, f"produce{{i}}")
    return i * i + OFFSET


@task(cache=True)
def combine(ledger: str, values: list[int]) -> int:
    note(ledger, "combine")
    return sum(values) {combine_extra}


@task
def gate(flag: str) -> None:
    while not os.path.exists(flag):
        time.sleep(0.05)


@flow
def pipeline(ledger: str, n: int = 4) -> int:
    return combine(ledger, [produce(ledger, i) for i in range(n)])


@task(cache=True)
def grow(ledger: str, x: int) -> int:
    note(ledger, f"grow{{x}}")
    return 2 * x + 1


@flow
def chained(ledger: str, n: int = 5) -> int:
    x = grow(ledger, 0)
    for _ in range(n - 1):
        x = grow(ledger, x)
    return x


@flow
def gated(ledger: str, flag: str, n: int = 6) -> int:
    values = [produce(ledger, i) for i in range(n)]
    return combine(ledger, values, wait_for=[gate(flag)])
"""


def write_flows(folder: Path, offset: int = 0, combine_extra: str = "") -> Path:
    path = folder / "cached_flows.py"
    write_source(path, FLOWS.format(offset=offset, combine_extra=combine_extra))
    return path


def flow_of(path: Path, name: str) -> Flow[..., Any]:
    """Load the flow from the file as it is now (the module is re-executed, as a new driver would)."""
    return load_flow(f"{path}:{name}")


def ran(ledger: Path) -> list[str]:
    """What the task bodies noted, without their pids."""
    return [line.split()[0] for line in ledger.read_text().splitlines()] if ledger.exists() else []


def states(run: Any) -> set[StateType]:
    return {tr.state for tr in run.task_runs.values()}


def test_every_cached_task_hits_after_the_cluster_restarts_with_new_workers(tmp_path: Path, home: Path) -> None:
    """Run on one LocalCluster, close it, start another with new workers: every task is Cached, none runs."""
    from distributed import LocalCluster

    path, ledger = write_flows(tmp_path), tmp_path / "ledger"
    outcomes = []
    for _ in range(2):
        with LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=":0") as cluster:
            executor = DaskExecutor(cluster=cluster)
            run = flow_of(path, "pipeline").run(str(ledger), executor=executor)
            workers = {tr.worker for tr in run.task_runs.values()}
            outcomes.append((run, workers))
            executor.close()
    (first, first_workers), (second, second_workers) = outcomes
    assert first.value == second.value == 0 + 1 + 4 + 9
    assert states(first) == {StateType.COMPLETED} and states(second) == {StateType.CACHED}
    assert first_workers.isdisjoint(second_workers)
    assert sorted(ran(ledger)) == ["combine", "produce0", "produce1", "produce2", "produce3"]
    assert second.hits() == {"cache": 5}


def test_a_fused_chain_of_cached_tasks_hits_task_by_task_on_its_second_run(
    tmp_path: Path, home: Path, dask_executor: DaskExecutor
) -> None:
    """A chain fused into one Dask task keeps caching per task: run twice, the second run is Cached throughout."""
    from orchestrator.engine.observers import add_run_observer

    path, ledger = write_flows(tmp_path), tmp_path / "ledger"
    engines: list[Any] = []
    with add_run_observer(engines.append):
        first = flow_of(path, "chained").run(str(ledger), executor=dask_executor)
        second = flow_of(path, "chained").run(str(ledger), executor=dask_executor)
    assert first.value == second.value == 31
    assert all(len(engine.fused) == 4 for engine in engines), "the five-step chain was not fused into one task"
    assert states(first) == {StateType.COMPLETED} and states(second) == {StateType.CACHED}
    assert ran(ledger) == ["grow0", "grow1", "grow3", "grow7", "grow15"]
    assert second.hits() == {"cache": 5}


def test_editing_a_task_body_or_a_global_it_uses_is_a_miss(
    tmp_path: Path, home: Path, dask_executor: DaskExecutor
) -> None:
    """A changed body reruns that task (and what consumes it); a changed global reruns the tasks that read it."""
    ledger = tmp_path / "ledger"
    flow_of(write_flows(tmp_path), "pipeline").run(str(ledger), executor=dask_executor)
    assert len(ran(ledger)) == 5

    edited_body = flow_of(write_flows(tmp_path, combine_extra="+ 0"), "pipeline").run(
        str(ledger), executor=dask_executor
    )
    assert ran(ledger)[5:] == ["combine"]  # produce hit; combine's code changed
    assert edited_body.by_name("combine").state is StateType.COMPLETED

    edited_global = flow_of(write_flows(tmp_path, offset=1, combine_extra="+ 0"), "pipeline")
    run = edited_global.run(str(ledger), executor=dask_executor)
    assert sorted(ran(ledger)[6:]) == ["combine", "produce0", "produce1", "produce2", "produce3"]
    assert run.value == 0 + 1 + 4 + 9 + 4


def test_a_corrupt_result_file_gives_a_rerun(tmp_path: Path, home: Path, dask_executor: DaskExecutor) -> None:
    """Corrupting one persisted result reruns exactly that task; the others hit, and the value is right."""
    path, ledger = write_flows(tmp_path), tmp_path / "ledger"
    first = flow_of(path, "pipeline").run(str(ledger), executor=dask_executor)
    with SQLiteStore(home / "daskflow.db") as store:
        entry = next(e for e in store.results.entries(task="produce") if e.key == first.by_name("produce").key)
    target = Path(entry.location.removeprefix("file://"))
    damaged = bytearray(target.read_bytes())
    damaged[-1] ^= 0xFF  # in the pickled value, after the header
    target.write_bytes(bytes(damaged))

    second = flow_of(path, "pipeline").run(str(ledger), executor=dask_executor)
    assert ran(ledger)[5:] == ["produce0"]
    assert second.value == first.value
    rerun = second.by_name("produce")
    assert rerun.state is StateType.COMPLETED and "checksum does not match" in (rerun.message or "")
    assert second.by_name("combine").state is StateType.CACHED


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[DaskProcesses]:
    """A real scheduler process; the test starts its workers. Every process is stopped by PID afterwards."""
    cluster = DaskProcesses(tmp_path, tmp_path / "cluster.log")
    try:
        cluster.start_scheduler()
        yield cluster
    finally:
        (tmp_path / "flag").touch()
        cluster.close()


def _wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=BACKSTOP)


@pytest.mark.slow
def test_results_persisted_before_a_worker_is_killed_are_not_recomputed(
    tmp_path: Path, home: Path, processes: DaskProcesses
) -> None:
    """SIGKILL a worker holding results: Dask reruns those keys, they hit the cache, and no body runs twice."""
    for name in ("w0", "w1"):
        processes.start_worker(name, nthreads=2)
    _wait_for_workers(processes.address, 2)
    path, ledger, flag = write_flows(tmp_path), tmp_path / "ledger", tmp_path / "flag"
    outcome: dict[str, Any] = {}
    executor = DaskExecutor(address=processes.address)
    runner = threading.Thread(
        target=lambda: outcome.update(run=flow_of(path, "gated").run(str(ledger), str(flag), executor=executor))
    )
    runner.start()
    deadline = time.monotonic() + BACKSTOP
    while len(ran(ledger)) < 6 or _completed(home, "produce") < 6:
        # The driver has heard every produce task run Completed, so what follows is Dask's rerun alone.
        assert time.monotonic() < deadline and runner.is_alive(), "the produce tasks never all ran"
        time.sleep(0.05)
    pids = {int(line.split()[1]) for line in ledger.read_text().splitlines()}
    victim = next(p.pid for p in processes.workers if p.pid in pids)
    os.kill(victim, signal.SIGKILL)
    next(p for p in processes.workers if p.pid == victim).wait(30)
    flag.touch()
    runner.join(BACKSTOP)
    assert not runner.is_alive()
    run = outcome["run"]
    assert run.is_completed, run.message
    assert run.value == sum(i * i for i in range(6))
    # Dask reran the keys lost with the victim for combine; they read their persisted results back.
    assert sorted(ran(ledger)) == ["combine", *(f"produce{i}" for i in range(6))]
    assert states(run) == {StateType.COMPLETED}


def _completed(home: Path, task: str) -> int:
    """How many task runs named ``task`` the store has Completed, over every run."""
    db = home / "daskflow.db"
    if not db.exists():
        return 0
    with SQLiteStore(db) as store:
        return sum(
            t.task == task and t.state == "Completed"
            for r in store.list_flow_runs()
            for t in store.list_task_runs(r.run_id)
        )


@pytest.mark.slow
def test_a_file_root_a_worker_cannot_see_fails_the_run_before_anything_runs(
    tmp_path: Path, home: Path, processes: DaskProcesses
) -> None:
    """A worker in its own mount namespace sees an empty directory at the root: the run fails at once, naming it."""
    root = tmp_path / "shared"
    root.mkdir()

    def elsewhere(argv: list[str]) -> list[str]:
        # Same path, other filesystem: what a worker on another machine sees of a local directory.
        command = f"mount -t tmpfs tmpfs {shlex.quote(str(root))} && exec {shlex.join(argv)}"
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", command]

    processes.start_worker("remote", launcher=elsewhere)
    _wait_for_workers(processes.address, 1)
    path, ledger = write_flows(tmp_path), tmp_path / "ledger"
    pipeline = flow_of(path, "pipeline").with_options(result_storage=root.as_uri())
    run = pipeline.run(str(ledger), executor=DaskExecutor(address=processes.address))
    assert run.state is StateType.FAILED
    assert isinstance(run.body_error, ResultStorageUnavailable)
    assert f"the result storage {root.as_uri()} cannot be used by every worker" in (run.message or "")
    assert "does not see the file" in (run.message or "")
    assert ran(ledger) == [] and run.task_runs == {}
    with pytest.raises(ResultStorageUnavailable):
        run.result()
