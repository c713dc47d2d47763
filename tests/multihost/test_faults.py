"""Faults on the multi-host cluster: a host loses its link, a worker or the scheduler is killed, the driver is cut off.

Each test starts its own scheduler host, three worker hosts and a driver
host (tests/multihost/cluster.py), runs a flow from tests/multihost/flows.py
with ``daskflow run`` on the driver host, injects one fault by PID or by
link, and then reads the outcome from the run store the driver wrote.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from orchestrator.history.store import FlowRunRow, SQLiteStore, TaskRunRow
from tests.processes import stop

from .cluster import MultiHostCluster

#: Backstops only: each run normally ends within seconds of its fault (Dask notices a silent
#: host within its 5 s worker TTL or 11 s TCP timeout).
STARTS_WITHIN = 120.0
ENDS_WITHIN = 180.0
STEPS = 24


def _only_run(home: Path, flow: str) -> tuple[FlowRunRow, list[TaskRunRow]]:
    with SQLiteStore(home / "daskflow.db") as store:
        (run,) = store.list_flow_runs(flow=flow, limit=0)
        return run, store.list_task_runs(run.run_id)


def _in_progress(work: Path, worker: str) -> set[int]:
    """The steps that started on ``worker`` and have not finished there."""
    started = {int(p.name.split("-")[1]) for p in work.glob(f"started-*-{worker}")}
    finished = {int(p.name.split("-")[1]) for p in work.glob(f"finished-*-{worker}")}
    return started - finished


def _assert_steps_recovered(cluster: MultiHostCluster, driver: subprocess.Popen[bytes], lost: set[int]) -> None:
    """The run completed with the right sum, every task run Completed, and the lost steps ran elsewhere."""
    assert driver.wait(ENDS_WITHIN) == 0, (cluster.net.logs / "driver.log").read_text()
    assert f"result: {sum(3 * i for i in range(STEPS))}" in (cluster.net.logs / "driver.log").read_text()
    run, tasks = _only_run(cluster.home, "steps")
    assert run.state == "Completed"
    assert len(tasks) == STEPS + 1 and {t.state for t in tasks} == {"Completed"}
    gone = cluster.worker_addresses["w2"]
    by_key = {t.key: t for t in tasks}
    steps = sorted((t for t in tasks if t.task == "step"), key=lambda t: int(t.key.rsplit("-", 1)[1]))
    assert lost, "no step was running on the faulted worker"
    for i in lost:
        final = by_key[steps[i].key]
        assert final.worker not in (None, gone), f"step {i} was lost with w2 but is recorded on {final.worker}"
        assert list(cluster.workdir.glob(f"started-{i}-w[13]")), f"step {i} never ran again elsewhere"


def test_a_worker_host_that_loses_its_link_mid_run_has_its_tasks_rerun_elsewhere(
    multihost: MultiHostCluster,
) -> None:
    """ip link set eth0 down on w2 mid-task: the flow completes correctly; its running steps reran on w1/w3."""
    multihost.start()
    work = multihost.workdir
    driver = multihost.drive("steps", {"n": STEPS, "folder": work, "seconds": 0.5})
    multihost.wait_for_files("started-*-w2", 1, STARTS_WITHIN, driver)
    multihost.net.cut("w2")
    lost = _in_progress(work, "w2")
    _assert_steps_recovered(multihost, driver, lost)


def test_a_worker_killed_by_pid_mid_task_loses_no_result(multihost: MultiHostCluster) -> None:
    """SIGKILL the w2 worker while it runs a step: every task run Completed and the sum is right."""
    multihost.start()
    work = multihost.workdir
    driver = multihost.drive("steps", {"n": STEPS, "folder": work, "seconds": 0.5})
    multihost.wait_for_files("started-*-w2", 1, STARTS_WITHIN, driver)
    victim = multihost.workers["w2"]
    os.kill(victim.pid, signal.SIGKILL)
    lost = _in_progress(work, "w2")
    victim.wait(30)
    _assert_steps_recovered(multihost, driver, lost)


def test_a_worker_killed_within_its_event_batch_leaves_correct_records(multihost: MultiHostCluster) -> None:
    """w1 finished parts whose events it still held when killed: those task runs are recovered Completed."""
    parts = 6
    multihost.start(
        worker_extra={"w1": ["--resources", "victim=1"], "w2": ["--resources", "other=1"]},
        # The held-result path reads the replica w2 fetched; the memory manager must not drop it first.
        scheduler_env={"DASK_DISTRIBUTED__SCHEDULER__ACTIVE_MEMORY_MANAGER__START": "False"},
    )
    multihost.probe("widen", "w1", "600")
    driver = multihost.drive("lost_batch", {"n": parts, "folder": multihost.workdir})
    multihost.wait_for_files("finish-started", 1, STARTS_WITHIN, driver)
    victim = multihost.workers["w1"]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(30)

    assert driver.wait(ENDS_WITHIN) == 0, (multihost.net.logs / "driver.log").read_text()
    expected = [(parts - 1) * 10, 2 * sum(10 * i for i in range(parts))]
    assert f"result: {expected}" in (multihost.net.logs / "driver.log").read_text()
    run, tasks = _only_run(multihost.home, "lost_batch")
    assert run.state == "Completed"
    assert {t.state for t in tasks} == {"Completed"}
    produced = sorted((t for t in tasks if t.task == "produce"), key=lambda t: int(t.key.rsplit("-", 1)[1]))
    recovered = [t for t in produced if (t.message or "").startswith("recovered:")]
    # The first part's event went at once (w1 was idle); the others were held. The last part's result
    # lives on in w2, so its exact record came back from there: w1 as its worker, real times.
    assert len(recovered) == parts - 2
    last = produced[-1]
    assert last.message is None and last.worker == multihost.worker_addresses["w1"]
    assert last.start is not None and last.end is not None


def test_a_killed_scheduler_crashes_the_run_within_5_s_and_resume_on_a_new_one_finishes_it(
    multihost: MultiHostCluster,
) -> None:
    """SIGKILL the scheduler mid-run: the run and every unfinished task run are Crashed within 5 s.

    Then, on a new scheduler and new workers, ``daskflow run --resume RUN_ID``
    finishes the run: it reuses the three steps that completed with persisted
    results (their bodies do not run again) and reruns the rest.
    """
    multihost.start()
    work = multihost.workdir
    driver = multihost.drive("prepared_then_held", {"n": 3, "folder": work})
    multihost.wait_for_files("started-*", 3, STARTS_WITHIN, driver)
    _wait_for_completed(multihost.home, "prepared_then_held", "prepare", 3)
    assert multihost.scheduler is not None
    os.kill(multihost.scheduler.pid, signal.SIGKILL)
    killed = time.monotonic()
    deadline = killed + ENDS_WITHIN
    while True:
        run, tasks = _only_run(multihost.home, "prepared_then_held")
        if run.state != "Running":
            break
        assert time.monotonic() < deadline, "the run stayed Running after its scheduler died"
        time.sleep(0.05)
    crashed_after = time.monotonic() - killed
    assert run.state == "Crashed" and "lost the connection to the Dask scheduler" in (run.message or "")
    assert (
        sorted((t.task, t.state) for t in tasks)
        == [("combine", "Crashed")] + [("hold", "Crashed")] * 3 + [("prepare", "Completed")] * 3
    )
    print(f"run Crashed in the store {crashed_after:.2f} s after the scheduler was killed")
    assert crashed_after <= 5.0, f"Crashed only {crashed_after:.2f} s after the scheduler died"
    assert driver.wait(ENDS_WITHIN) == 1

    # A new scheduler and new workers: the old workers are leaving with their scheduler (stopped by PID,
    # once their held tasks may end, so they close at once).
    (work / "release").touch()
    for worker in multihost.workers.values():
        stop(worker)
    multihost.start()
    again = multihost.drive("prepared_then_held", {"n": 3, "folder": work}, resume=run.run_id)
    log = multihost.net.logs / "driver.log"
    assert again.wait(ENDS_WITHIN) == 0, log.read_text()
    assert "result: 6" in log.read_text()
    assert f"resumed from flow run {run.run_id}: 3 task runs reused" in log.read_text()
    assert len(list(work.glob("prepared-*"))) == 3, "a resumed run ran a step whose persisted result it had"


def _wait_for_completed(home: Path, flow: str, task_name: str, count: int) -> None:
    """Poll the store until ``count`` task runs named ``task_name`` of the flow's only run are Completed."""
    deadline = time.monotonic() + STARTS_WITHIN
    while True:
        _, tasks = _only_run(home, flow)
        if sum(t.task == task_name and t.state == "Completed" for t in tasks) >= count:
            return
        assert time.monotonic() < deadline, f"fewer than {count} {task_name} task runs Completed: {tasks}"
        time.sleep(0.05)


def test_a_driver_cut_off_the_network_crashes_its_run_and_the_cluster_cancels_its_tasks(
    multihost: MultiHostCluster,
) -> None:
    """Cut the driver host's link mid-run: its run ends Crashed (never left Running), the cluster drops its keys."""
    multihost.start()
    work = multihost.workdir
    driver = multihost.drive("held", {"n": 3, "folder": work})
    multihost.wait_for_files("started-*", 3, STARTS_WITHIN, driver)
    run, _ = _only_run(multihost.home, "held")
    multihost.net.cut("driver")

    # The scheduler notices the silent client, releases its keys, and the workers cancel the running ones.
    deadline = time.monotonic() + ENDS_WITHIN
    while True:
        keys = multihost.probe("run-keys", run.run_id, host="sched")
        on_workers = {state for states in keys["workers"].values() for state in states.values()}
        if not keys["scheduler"] and on_workers <= {"cancelled", "released"}:
            break
        assert time.monotonic() < deadline, f"the cluster still runs the cut-off driver's tasks: {keys}"
        time.sleep(0.5)
    assert driver.wait(ENDS_WITHIN) == 1, (multihost.net.logs / "driver.log").read_text()
    run, tasks = _only_run(multihost.home, "held")
    assert run.state == "Crashed" and "lost the connection to the Dask scheduler" in (run.message or "")
    assert {t.state for t in tasks} == {"Crashed"}
    with SQLiteStore(multihost.home / "daskflow.db") as store:
        assert [t.state for t in store.list_flow_transitions(run.run_id)] == ["Running", "Crashed"]
