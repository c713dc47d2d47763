"""``daskflow cache ls | clear`` and ``daskflow concurrency set | ls | rm``, run as a user would."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from orchestrator.authoring.loader import load_flow
from orchestrator.worker.results import scan_results, write_result
from tests.cli_helpers import assert_usage_error

pytestmark = pytest.mark.slow

CLI = Callable[..., subprocess.CompletedProcess[str]]

FLOWS = """
import time

from orchestrator import flow, task


def note(ledger, what):
    with open(ledger, "a") as out:
        out.write(f"{what}\\n")


@task(cache=True)
def square(ledger: str, x: int) -> int:
    note(ledger, f"square{x}")
    return x * x


@task(cache=True)
def total(ledger: str, xs: list[int]) -> int:
    note(ledger, "total")
    return sum(xs)


@flow
def squares(ledger: str, n: int = 3) -> int:
    return total(ledger, [square(ledger, i) for i in range(n)])


@task(tags={"db"})
def hold(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@flow
def holding(seconds: float = 30.0) -> float:
    return hold(seconds)
"""


@pytest.fixture
def flows(tmp_path: Path) -> Path:
    path = tmp_path / "cli_flows.py"
    path.write_text(FLOWS)
    return path


def ran(ledger: Path) -> list[str]:
    return ledger.read_text().split() if ledger.exists() else []


def run_squares(daskflow: CLI, flows: Path, ledger: Path) -> subprocess.CompletedProcess[str]:
    done = daskflow("run", f"{flows}:squares", "--param", f"ledger={ledger}", "--executor", "local")
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def test_cache_ls_lists_persisted_results_and_clear_task_removes_one_tasks(
    daskflow: CLI, flows: Path, tmp_path: Path, home: Path
) -> None:
    """ls shows each result; clear --task square removes only square's, which then rerun while total hits."""
    assert "no persisted results recorded" in daskflow("cache", "ls").stdout
    ledger = tmp_path / "ledger"
    run_squares(daskflow, flows, ledger)
    listing = daskflow("cache", "ls")
    assert listing.returncode == 0
    assert [line.split()[1] for line in listing.stdout.splitlines()[1:5]].count("square") == 3
    assert "4 result(s)" in listing.stdout

    cleared = daskflow("cache", "clear", "--task", "square")
    assert cleared.stdout.strip() == "cleared 3 recorded result(s); removed 3 result file(s)"
    assert "square" not in daskflow("cache", "ls").stdout
    again = run_squares(daskflow, flows, ledger)
    assert sorted(ran(ledger)[4:]) == ["square0", "square1", "square2"]  # total's key is made of square's: a hit
    assert "cache hits: 1" in again.stdout


def test_cache_clear_older_than_and_the_sweep_of_unrecorded_files(
    daskflow: CLI, flows: Path, tmp_path: Path, home: Path
) -> None:
    """--older-than keeps recent results; a plain clear removes them and result files no record lists."""
    ledger = tmp_path / "ledger"
    run_squares(daskflow, flows, ledger)
    root = (home / "results").as_uri()
    write_result(root, "ff" * 32, "orphan", "square", "killed-run", time.time(), None)  # its event never landed
    kept = daskflow("cache", "clear", "--older-than", "1h")
    assert kept.stdout.strip() == "cleared 0 recorded result(s); removed 0 result file(s)"
    cleared = daskflow("cache", "clear")
    assert cleared.stdout.strip() == "cleared 4 recorded result(s); removed 5 result file(s)"
    assert list(scan_results(root)) == []
    run_squares(daskflow, flows, ledger)
    assert len(ran(ledger)) == 8  # everything ran again
    assert_usage_error(daskflow("cache", "clear", "--older-than", "soon"), "bad duration 'soon'")


def test_concurrency_set_ls_rm(daskflow: CLI, home: Path) -> None:
    """set stores a limit, ls lists it, rm removes it; bad input is a usage error saying what is allowed."""
    assert "no concurrency limits" in daskflow("concurrency", "ls").stdout
    assert daskflow("concurrency", "set", "db", "2").stdout.strip() == (
        "tag 'db': at most 2 task(s) at once, from the next run on"
    )
    listing = daskflow("concurrency", "ls").stdout.splitlines()
    assert listing[0].split() == ["TAG", "SLOTS", "SET"] and listing[1].split()[:2] == ["db", "2"]
    assert_usage_error(daskflow("concurrency", "set", "db", "0"), "whole number >= 1")
    assert_usage_error(daskflow("concurrency", "set", "db", "two"), "bad N 'two'")
    assert daskflow("concurrency", "rm", "db").returncode == 0
    assert_usage_error(daskflow("concurrency", "rm", "db"), "tag 'db' has no concurrency limit")


@pytest.mark.cluster
def test_concurrency_ls_with_an_address_shows_who_holds_the_slots(
    daskflow: CLI, flows: Path, home: Path, local_cluster: Any
) -> None:
    """While a db task runs under a limit, ls --address names its run, task and worker."""
    from executors import DaskExecutor

    holding = load_flow(f"{flows}:holding")
    executor = DaskExecutor(cluster=local_cluster)
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["run"] = holding.run(3.0, executor=executor, concurrency={"db": 1})

    runner = threading.Thread(target=run)
    runner.start()
    try:
        deadline = time.monotonic() + 120
        while not executor.slot_snapshot():
            assert time.monotonic() < deadline, "the task never took its slot"
            time.sleep(0.05)
        listing = daskflow("concurrency", "ls", "--address", local_cluster.scheduler_address)
    finally:
        runner.join(120)
    assert listing.returncode == 0, listing.stderr
    assert f"slots on {local_cluster.scheduler_address} (limits: db 1):" in listing.stdout
    (row,) = [line.split() for line in listing.stdout.splitlines() if line.startswith("db ")]
    assert row[:5] == ["db", "holds", outcome["run"].id, "hold", "1"] and row[5].startswith("tcp://127.0.0.1:")
    assert outcome["run"].is_completed
