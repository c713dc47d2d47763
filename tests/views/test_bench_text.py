"""The plain-text output of ``daskflow bench`` on hand-built task runs, and where its report goes by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.views.bench_stats import RunTimings, TaskTiming, summarise
from orchestrator.views.cli.bench import default_report_path, summary_lines


def chain(run_id: str, length: int, wall: float) -> RunTimings:
    """A chain of ``length`` steps of 0.1 s each, named step[i], in a run of ``wall`` seconds."""
    tasks = [
        TaskTiming(f"step-{i}", "step", f"step[{i}]", "Completed", i * 0.2, i * 0.2 + 0.1, None) for i in range(length)
    ]
    edges = {f"step-{i}": (f"step-{i - 1}",) for i in range(1, length)}
    return RunTimings(run_id, "Completed", 0.0, wall, tasks, edges)


def test_summary_lines_give_the_table_wall_time_critical_path_and_share() -> None:
    """The text has a per-name row, the median wall time, the median repeat's path and the scheduling share."""
    lines = summary_lines(summarise([chain("aaa", 3, 1.0), chain("bbb", 3, 0.6)]), "LocalExecutor(threads=2)")
    assert lines[1].split() == ["TASK", "COUNT", "HITS", "MEDIAN", "P95", "TOTAL"]
    assert lines[2].split() == ["step", "6", "0", "0.100000", "0.100000", "0.600000"]
    text = "\n".join(lines)
    assert "wall time: median 0.800 s over 2 repeat(s) on LocalExecutor(threads=2) (min 0.600 s, max 1.000 s)" in text
    assert (
        "critical path: 3 task runs, 0.300000 s of task work over 0.500000 s (flow run bbb, the median repeat)" in text
    )
    assert "  step[0] -> step[1] -> step[2]" in lines
    assert "scheduling share: median 60.0% of wall time with no task running (per repeat: 70.0%, 50.0%)" in text


def test_cache_hits_are_counted_apart_and_left_out_of_the_timings() -> None:
    """Cached task runs did not run their function: HITS counts them, and COUNT and the times do not."""
    run = chain("aaa", 3, 1.0)
    hit = TaskTiming("step-3", "step", "step[3]", "Cached", 0.9, 0.9001, None)
    lines = summary_lines(summarise([RunTimings("aaa", "Completed", 0.0, 1.0, [*run.tasks, hit], run.edges)]))
    assert lines[2].split() == ["step", "3", "1", "0.100000", "0.100000", "0.300000"]


def test_a_long_critical_path_prints_its_head_and_tail() -> None:
    """A 30-task path prints its first nine and last three names around a count of the rest."""
    lines = summary_lines(summarise([chain("aaa", 30, 6.0)]))
    path = next(line for line in lines if line.startswith("  step[0]"))
    names = path.strip().split(" -> ")
    assert names[:9] == [f"step[{i}]" for i in range(9)]
    assert names[9] == "... 18 more ..."
    assert names[10:] == ["step[27]", "step[28]", "step[29]"]


def test_the_default_report_sits_under_daskflow_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --report the file is $DASKFLOW_HOME/reports/bench-<flow>-<run id>.html, the flow name made file-safe."""
    monkeypatch.setenv("DASKFLOW_HOME", str(tmp_path))
    assert default_report_path("etl", "abc123") == tmp_path / "reports" / "bench-etl-abc123.html"
    assert default_report_path("my flow/v2", "abc123").name == "bench-my_flow_v2-abc123.html"
