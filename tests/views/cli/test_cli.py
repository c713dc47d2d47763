"""The ``daskflow`` command as a subprocess: run, runs ls/show/logs, demo, exit codes and bad input."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.history.store import SQLiteStore
from tests.cli_helpers import assert_usage_error

pytestmark = pytest.mark.slow

Cli = Callable[..., subprocess.CompletedProcess[str]]


def _run_id(stdout: str) -> str:
    found = re.search(r"^flow run ([0-9a-f]{12}) of ", stdout, re.MULTILINE)
    assert found is not None, stdout
    return found.group(1)


def test_run_completes_with_plain_progress_and_a_summary(daskflow: Cli, flows_file: Path, home: Path) -> None:
    """run exits 0, prints plain progress and a summary without escape codes, and records the run."""
    result = daskflow("run", f"{flows_file}:squares", "--param", "n=4", "--param", "label=x", "--executor", "local")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "\x1b" not in out
    assert re.search(r"\] 5/5 finished \| square 4/4, total 1/1$", out, re.MULTILINE), out
    run_id = _run_id(out)
    assert "Completed in" in out
    assert "task runs: 5 (Completed 5)" in out
    assert "slowest: square[" in out
    assert f"daskflow runs show {run_id}" in out
    assert "result: 14" in out
    with SQLiteStore(home / "daskflow.db") as store:
        row = store.get_flow_run(run_id)
        assert row is not None
        assert (row.state, row.parameters) == ("Completed", {"n": 4, "label": "x"})


def test_run_of_a_failing_flow_exits_1_and_runs_show_gives_the_tracebacks(daskflow: Cli, flows_file: Path) -> None:
    """A failed run exits 1; runs show lists its task table and each error with its traceback."""
    result = daskflow("run", f"{flows_file}:broken", "--executor", "local")
    assert result.returncode == 1, result.stderr
    assert "failed: explode[0] Failed: ValueError: cannot handle 0" in result.stdout
    run_id = _run_id(result.stdout)

    show = daskflow("runs", "show", run_id[:6])
    assert show.returncode == 0, show.stderr
    assert f"flow run {run_id} of 'broken': Failed" in show.stdout
    assert re.search(r"^explode\[1\]\s+Failed\s+", show.stdout, re.MULTILINE), show.stdout
    assert "--- explode[0] Failed: ValueError: cannot handle 0" in show.stdout
    assert "Traceback (most recent call last):" in show.stdout
    assert 'raise ValueError(f"cannot handle {x}")' in show.stdout


def test_runs_ls_filters_and_runs_logs_shows_task_and_flow_lines(daskflow: Cli, flows_file: Path) -> None:
    """runs ls filters by flow and state; runs logs prints flow and task lines, and --task narrows them."""
    ok = daskflow("run", f"{flows_file}:squares", "--executor", "local")
    bad = daskflow("run", f"{flows_file}:broken", "--executor", "local")
    ok_id, bad_id = _run_id(ok.stdout), _run_id(bad.stdout)

    listing = daskflow("runs", "ls")
    assert listing.returncode == 0
    assert listing.stdout.splitlines()[0].split() == ["RUN", "ID", "FLOW", "STATE", "STARTED", "DURATION", "TASKS"]
    assert ok_id in listing.stdout and bad_id in listing.stdout
    failed = daskflow("runs", "ls", "--state", "Failed")
    assert bad_id in failed.stdout and ok_id not in failed.stdout
    assert "2 (2 failed)" in failed.stdout
    only = daskflow("runs", "ls", "--flow", "squares", "--limit", "1")
    assert ok_id in only.stdout and bad_id not in only.stdout

    logs = daskflow("runs", "logs", ok_id)
    assert logs.returncode == 0
    assert re.search(r"INFO\s+flow: flow sq with n=3$", logs.stdout, re.MULTILINE), logs.stdout
    assert sorted(re.findall(r"square\[\d\]: squaring \d", logs.stdout)) == [
        f"square[{i}]: squaring {i}" for i in range(3)
    ]
    one = daskflow("runs", "logs", ok_id, "--task", "square[2]")
    assert one.stdout.strip().endswith("square[2]: squaring 2")
    assert len(one.stdout.strip().splitlines()) == 1


def test_bad_input_is_one_line_and_exit_code_2(daskflow: Cli, flows_file: Path) -> None:
    """Unknown flow paths, bad --param values, unknown run ids and states each give one stderr line and exit 2."""
    assert_usage_error(daskflow("run", "nowhere.py:etl"), "no such file 'nowhere.py'")
    assert_usage_error(daskflow("run", f"{flows_file}:missing"), "has no @flow named 'missing'")
    squares = f"{flows_file}:squares"
    assert_usage_error(daskflow("run", squares, "--param", "n"), "bad --param 'n': expected KEY=VALUE")
    assert_usage_error(daskflow("run", squares, "--param", "n=abc"), "n: Input should be a valid integer")
    assert_usage_error(daskflow("run", squares, "--param", "size=3"), "size: Extra inputs are not permitted")
    assert_usage_error(daskflow("runs", "show", "feedbeef"), "no flow run 'feedbeef'")
    assert_usage_error(daskflow("runs", "logs", "feedbeef"), "no flow run 'feedbeef'")
    assert_usage_error(daskflow("runs", "ls", "--state", "Done"), "unknown state 'Done'")


@pytest.mark.cluster
def test_demo_records_into_the_store(daskflow: Cli, home: Path) -> None:
    """demo runs the ETL example on the embedded LocalCluster and records all 1,001 task runs."""
    result = daskflow("demo")
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    run_id = _run_id(result.stdout)
    with SQLiteStore(home / "daskflow.db") as store:
        row = store.get_flow_run(run_id)
        assert row is not None and (row.flow_name, row.state) == ("etl", "Completed")
        assert store.task_state_counts(run_id) == {"Completed": 1001}


def test_runs_show_groups_task_runs_by_name_and_lists_only_failures(daskflow: Cli, flows_file: Path) -> None:
    """runs show prints one row per task name (runs, states, median, max) and the failed runs one by one."""
    ok = daskflow("run", f"{flows_file}:squares", "--param", "n=40", "--executor", "local")
    run_id = _run_id(ok.stdout)
    show = daskflow("runs", "show", run_id)
    assert show.returncode == 0, show.stderr
    assert re.search(r"^TASK\s+RUNS\s+STATES\s+MEDIAN\s+MAX$", show.stdout, re.MULTILINE), show.stdout
    assert re.search(r"^square\s+40\s+Completed 40\s+\d+\.\d{3}s\s+\d+\.\d{3}s$", show.stdout, re.MULTILINE)
    assert "square[7]" not in show.stdout
    assert "failed and unfinished" not in show.stdout

    every = daskflow("runs", "show", run_id, "--all")
    assert all(f"square[{i}]" in every.stdout for i in range(40))
    one = daskflow("runs", "show", run_id, "--task", "total")
    assert re.search(r"^total\s+Completed\s+", one.stdout, re.MULTILINE) and "square[0]" not in one.stdout

    failed = daskflow("run", f"{flows_file}:broken", "--executor", "local")
    show = daskflow("runs", "show", _run_id(failed.stdout))
    assert re.search(r"^explode\s+2\s+Failed 2\s+", show.stdout, re.MULTILINE), show.stdout
    listed = show.stdout.split("failed and unfinished task runs:")[1]
    assert re.search(r"^explode\[0\]\s+Failed\s+", listed, re.MULTILINE), show.stdout


def test_a_closed_output_pipe_ends_a_command_quietly(daskflow: Cli, flows_file: Path, env: dict[str, str]) -> None:
    """`daskflow runs show ID | head -1`: the command exits 141 (SIGPIPE's status) with nothing on stderr."""
    # 2,000 rows are ~130 KB, more than a pipe holds, so writing must fail once head has gone.
    ok = daskflow("run", f"{flows_file}:squares", "--param", "n=2000", "--executor", "local")
    run_id = _run_id(ok.stdout)
    pipeline = subprocess.run(
        f"{sys.executable} -m orchestrator runs show {run_id} --all | head -1; exit ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert pipeline.stdout.startswith(f"flow run {run_id}")
    assert pipeline.stderr == ""
    assert pipeline.returncode == 141


def test_run_shows_the_run_logs_on_stderr(daskflow: Cli, flows_file: Path) -> None:
    """daskflow run prints the flow's and tasks' log records on stderr, each once, with its run's name."""
    result = daskflow("run", f"{flows_file}:squares", "--param", "n=3", "--executor", "local")
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    for i in range(3):
        assert sum(f"| INFO    | Task run 'square[{i}]' - squaring {i}" in line for line in lines) == 1, lines
    assert sum("| Flow run 'squares-" in line and "flow sq with n=3" in line for line in lines) == 1
