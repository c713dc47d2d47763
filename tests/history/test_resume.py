"""``--resume`` and ``flow.run(resume=...)``: a new run reuses what the old one persisted and reruns the rest.

The 10-step chain's step 7 reads a control file: ``fail`` makes it raise, ``block`` makes it wait. Every
step notes its number in a ledger when its body runs, so what ran is counted by side effects.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from executors import DaskExecutor
from orchestrator import ResumeError, StateType
from orchestrator.authoring.loader import load_flow
from orchestrator.history.store import SQLiteStore
from orchestrator.history.store.liveness import this_driver

FLOWS = """
import os
import time

from orchestrator import flow, task, unmapped


def note(ledger, what):
    with open(ledger, "a") as out:
        out.write(f"{what}\\n")


def control(path):
    return open(path).read().strip() if os.path.exists(path) else ""


@task(persist_result=True)
def step(ledger: str, switch: str, i: int, previous: int) -> int:
    note(ledger, i)
    if i == 7:
        if control(switch) == "fail":
            raise RuntimeError("step 7 fails while the control file says fail")
        while control(switch) == "block":
            time.sleep(0.05)
    return previous + i


@flow
def chain(ledger: str, switch: str) -> int:
    value = 0
    for i in range(1, 11):
        value = step(ledger, switch, i, value)
    return value


@task(persist_result=True)
def part(ledger: str, switch: str, i: int) -> int:
    note(ledger, f"part{i}")
    if i == 3 and control(switch) == "fail":
        raise RuntimeError("part 3 fails while the control file says fail")
    return i * 10


@task(persist_result=True)
def total(ledger: str, values: list[int]) -> int:
    note(ledger, "total")
    return sum(values)


@flow
def fan(ledger: str, switch: str, n: int = 6) -> int:
    return total(ledger, part.map(unmapped(ledger), unmapped(switch), range(n)))
"""

#: Backstop for a driver to reach step 7; it takes a few seconds.
BACKSTOP = 120


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    path = tmp_path / "resumable.py"
    path.write_text(FLOWS)
    return path


def ran(ledger: Path) -> list[str]:
    return ledger.read_text().split() if ledger.exists() else []


def run_id_of(output: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith("flow run "))
    return line.split()[2]


@pytest.mark.slow
def test_resume_reruns_exactly_the_failed_step_and_what_follows(
    tmp_path: Path, flows: Path, home: Path, daskflow: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    """Step 7 fails; once fixed, `daskflow run --resume RUN_ID` (no PATH:FLOW) runs steps 7 to 10 only."""
    ledger, switch = tmp_path / "ledger", tmp_path / "switch"
    switch.write_text("fail")
    params = ["--param", f"ledger={ledger}", "--param", f"switch={switch}", "--executor", "local"]
    failed = daskflow("run", f"{flows}:chain", *params)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert ran(ledger) == [str(i) for i in range(1, 8)]
    old = run_id_of(failed.stdout)

    switch.write_text("")
    resumed = daskflow("run", "--resume", old, "--executor", "local")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert ran(ledger)[7:] == ["7", "8", "9", "10"]
    assert "result: 55" in resumed.stdout
    assert f"resumed from flow run {old}: 6 task runs reused" in resumed.stdout
    new = run_id_of(resumed.stdout)
    shown = daskflow("runs", "show", new)
    assert f"resumed   from flow run {old}: 6 task runs reused" in shown.stdout
    assert "Cached 6" in shown.stdout and "Completed 4" in shown.stdout


@pytest.mark.slow
def test_resume_after_the_driver_was_killed_reruns_exactly_the_unfinished_steps(
    tmp_path: Path,
    flows: Path,
    home: Path,
    env: dict[str, str],
    daskflow: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """SIGKILL the driver while step 7 runs: the store has steps 1-6, and --resume runs steps 7 to 10."""
    ledger, switch = tmp_path / "ledger", tmp_path / "switch"
    switch.write_text("block")
    command = [sys.executable, "-m", "orchestrator", "run", f"{flows}:chain", "--executor", "local",
               "--param", f"ledger={ledger}", "--param", f"switch={switch}"]  # fmt: skip
    driver = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        old = _wait_for_step_seven_running(home / "daskflow.db", driver)
    finally:
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(30)
    assert ran(ledger) == [str(i) for i in range(1, 8)]

    switch.write_text("")
    resumed = daskflow("run", "--resume", old, "--executor", "local")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert ran(ledger)[7:] == ["7", "8", "9", "10"]
    assert "result: 55" in resumed.stdout
    with SQLiteStore(home / "daskflow.db") as store:
        killed = store.get_flow_run(old)
        assert killed is not None and killed.state == "Crashed"
        assert killed.message is not None and f"pid {driver.pid}" in killed.message


def _wait_for_step_seven_running(db: Path, driver: subprocess.Popen[bytes]) -> str:
    """Poll the store until steps 1-6 are Completed and step 7 is Running; the run id."""
    deadline = time.monotonic() + BACKSTOP
    while time.monotonic() < deadline:
        assert driver.poll() is None, "the driver exited before step 7"
        if db.exists():
            with SQLiteStore(db) as store:
                for run in store.list_flow_runs(state="Running"):
                    seen = [t.state for t in store.list_task_runs(run.run_id)]
                    if seen == ["Completed"] * 6 + ["Running"]:
                        return run.run_id
        time.sleep(0.1)
    raise AssertionError("step 7 was never seen running")


@pytest.mark.cluster
def test_resume_reruns_only_the_failed_map_index_on_a_cluster(
    tmp_path: Path, flows: Path, home: Path, dask_executor: DaskExecutor
) -> None:
    """part[3] of a map fails; the resumed run on Dask reuses the other five parts and reruns part[3] and total."""
    ledger, switch = tmp_path / "ledger", tmp_path / "switch"
    switch.write_text("fail")
    fan = load_flow(f"{flows}:fan")
    first = fan.run(str(ledger), str(switch), executor=dask_executor)
    assert first.state is StateType.FAILED and first.by_name("part[3]").state is StateType.FAILED
    switch.write_text("")
    second = fan.run(str(ledger), str(switch), executor=dask_executor, resume=first.id)
    assert second.is_completed and second.value == sum(i * 10 for i in range(6))
    assert ran(ledger)[6:] == ["part3", "total"]
    assert second.resumed_from == first.id and second.hits() == {"resume": 5}
    assert second.by_name("part[0]").state is StateType.CACHED


def test_resume_refuses_unknown_runs_other_flows_and_runs_still_going(tmp_path: Path, flows: Path, home: Path) -> None:
    """Bad resume ids fail before anything runs or is recorded, saying why."""
    chain = load_flow(f"{flows}:chain")
    with pytest.raises(ResumeError, match="cannot resume flow run 'nope': it is not in the run store"):
        chain.run("l", "s", resume="nope")
    with SQLiteStore(home / "daskflow.db") as store:
        store.create_flow_run("fan-run-1", "fan", {}, time.time(), state="Failed")
        store.create_flow_run("chain-live", "chain", {}, time.time(), host=socket.gethostname(), pid=os.getpid())
        me = this_driver()
        if me is not None:  # this process is its driver, alive: the process check must leave it Running
            store.record_driver("chain-live", me)
    with pytest.raises(ResumeError, match="it is a run of flow 'fan'; resume it with that flow"):
        chain.run("l", "s", resume="fan-run-1")
    with pytest.raises(ResumeError, match=f"it is still running \\(driver pid {os.getpid()}"):
        chain.run("l", "s", resume="chain-live")
    with SQLiteStore(home / "daskflow.db") as store:
        assert {r.run_id for r in store.list_flow_runs()} == {"fan-run-1", "chain-live"}
