"""``daskflow bench`` as a subprocess: repeats, the printed report, the HTML timeline, exit codes and bad input."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.history.store import SQLiteStore
from tests.cli_helpers import assert_usage_error
from tests.critical import stored_critical_path
from tests.paths import EXAMPLES

pytestmark = pytest.mark.slow

Cli = Callable[..., subprocess.CompletedProcess[str]]

ETL = EXAMPLES / "etl.py"


def _run_ids(stdout: str, repeats: int) -> list[str]:
    found = re.findall(r"^repeat (\d+)/(\d+): flow run ([0-9a-f]{12}) ", stdout, re.MULTILINE)
    assert [(int(i), int(n)) for i, n, _ in found] == [(i, repeats) for i in range(1, repeats + 1)], stdout
    return [run_id for _, _, run_id in found]


def _report(stdout: str) -> Path:
    found = re.search(r"^report: (.+)$", stdout, re.MULTILINE)
    assert found is not None, stdout
    return Path(found.group(1))


def _row(stdout: str, task: str) -> list[str]:
    found = re.search(rf"^{task}\s+\d+\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+$", stdout, re.MULTILINE)
    assert found is not None, stdout
    return found.group(0).split()


def _check_html(page: str, store: SQLiteStore, run_ids: list[str]) -> None:
    """One timeline per run, each with one lane per worker the store recorded and one bar per timed task run."""
    timelines = re.findall(r'<svg class="gantt" data-run="([0-9a-f]+)".*?</svg>', page, re.DOTALL)
    assert timelines == run_ids
    for run_id, svg in zip(run_ids, re.findall(r'<svg class="gantt".*?</svg>', page, re.DOTALL)):
        tasks = store.list_task_runs(run_id)
        workers = sorted({t.worker or "in-process" for t in tasks if t.start is not None and t.end is not None})
        assert re.findall(r'<g class="lane" data-worker="([^"]*)">', svg) == workers
        bar_keys = re.findall(r'<rect class="bar[^"]*" data-key="([^"]*)"', svg)
        assert sorted(bar_keys) == sorted(t.key for t in tasks if t.start is not None and t.end is not None)


def test_bench_on_the_local_executor_prints_stats_path_share_and_writes_the_report(daskflow: Cli, home: Path) -> None:
    """bench --repeat 2 runs the ETL example twice; prints stats, critical path and share; writes the HTML report."""
    result = daskflow("bench", f"{ETL}:etl", "--param", "partitions=4", "--repeat", "2", "--executor", "local")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    run_ids = _run_ids(out, 2)
    assert "\x1b" not in out
    assert "task time by task name, seconds, over 2 repeat(s):" in out
    assert {task: int(_row(out, task)[1]) for task in ("extract", "read", "clean", "summarise", "load")} == {
        "extract": 2,
        "read": 8,
        "clean": 8,
        "summarise": 8,
        "load": 2,
    }
    assert re.search(r"^wall time: median [\d.]+ s over 2 repeat\(s\) on LocalExecutor", out, re.MULTILINE), out
    # The chain that is critical depends on this run's task times: compare with the stored run's.
    line = r"^critical path: (\d+) task runs, [\d.]+ s of task work over [\d.]+ s \(flow run (\w+)"
    found = re.search(line, out, re.MULTILINE)
    assert found, out
    expected = stored_critical_path(home / "daskflow.db", found.group(2))
    assert int(found.group(1)) == len(expected.tasks)
    assert f"  {' -> '.join(expected.names)}\n" in out
    assert re.search(r"^scheduling share: median [\d.]+% of wall time with no task running", out, re.MULTILINE)
    report = _report(out)
    assert report == home / "reports" / f"bench-etl-{run_ids[0]}.html"
    with SQLiteStore(home / "daskflow.db") as store:
        assert [store.get_flow_run(r).state for r in run_ids] == ["Completed", "Completed"]  # type: ignore[union-attr]
        _check_html(report.read_text(), store, run_ids)


def test_bench_of_a_failing_flow_exits_1_and_still_writes_the_report(
    daskflow: Cli, flows_file: Path, tmp_path: Path
) -> None:
    """A flow that fails in its repeats makes bench exit 1, naming the failures, with the report at --report."""
    target = tmp_path / "out" / "broken.html"
    result = daskflow("bench", f"{flows_file}:broken", "--repeat", "2", "--executor", "local", "--report", str(target))
    assert result.returncode == 1, result.stderr
    assert len(re.findall(r"^repeat \d/2: flow run [0-9a-f]{12} Failed in ", result.stdout, re.MULTILINE)) == 2
    assert "  failed: explode[0] Failed: ValueError: cannot handle 0" in result.stdout
    assert _report(result.stdout) == target
    assert 'class="bar failed' in target.read_text()


def test_bench_bad_input_is_one_line_and_exit_code_2(daskflow: Cli, flows_file: Path, tmp_path: Path) -> None:
    """Bad --repeat values, unknown flows, bad --param values and recording turned off each give one line and exit 2."""
    squares = f"{flows_file}:squares"
    cases = [
        (("--repeat", "0"), {}, "bad --repeat '0': the flow must run at least once"),
        (("--repeat", "-3"), {}, "bad --repeat '-3': the flow must run at least once"),
        (("--repeat", "many"), {}, "bad --repeat 'many': expected a whole number of runs"),
        (("--param", "n=abc"), {}, "n: Input should be a valid integer"),
        (("--param", "n"), {}, "bad --param 'n': expected KEY=VALUE"),
        (("--report", str(tmp_path)), {}, "is a directory"),
        ((), {"DASKFLOW_RECORD": "0"}, "DASKFLOW_RECORD turns recording off"),
    ]
    for extra, env, needle in cases:
        assert_usage_error(daskflow("bench", squares, "--executor", "local", *extra, **env), needle)
    assert_usage_error(daskflow("bench", "nowhere.py:etl"), "no such file 'nowhere.py'")
    assert_usage_error(daskflow("bench", f"{flows_file}:missing"), "has no @flow named 'missing'")


@pytest.mark.cluster
def test_bench_on_the_embedded_dask_cluster_draws_a_lane_per_worker(
    daskflow: Cli, flows_file: Path, home: Path
) -> None:
    """On the embedded LocalCluster, each worker that ran tasks gets its own lane in every repeat's timeline."""
    result = daskflow("bench", f"{flows_file}:squares", "--param", "n=8", "--repeat", "2", "--executor", "dask")
    assert result.returncode == 0, result.stderr
    run_ids = _run_ids(result.stdout, 2)
    assert _row(result.stdout, "square")[1] == "16"
    assert re.search(r"^  square\[\d\] -> total$", result.stdout, re.MULTILINE), result.stdout
    with SQLiteStore(home / "daskflow.db") as store:
        workers = {t.worker for r in run_ids for t in store.list_task_runs(r)}
        assert all(w is not None and w.startswith("tcp://127.0.0.1:") for w in workers), workers
        _check_html(_report(result.stdout).read_text(), store, run_ids)
