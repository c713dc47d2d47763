"""The HTML report of ``daskflow bench`` on hand-built task runs: lanes, bars, tooltips, nothing external."""

from __future__ import annotations

import re

import pytest

from orchestrator.views import bench_html
from orchestrator.views.bench_html import IN_PROCESS, render_report
from orchestrator.views.bench_stats import BenchSummary, RunTimings, TaskTiming, summarise


def timing(
    key: str, start: float | None, end: float | None, worker: str | None, state: str = "Completed"
) -> TaskTiming:
    return TaskTiming(key, key.split("-")[0], key.split("-")[0] + "[0]", state, start, end, worker)


def two_worker_summary() -> BenchSummary:
    """A chain a -> b -> c over two workers, a failed side task d, and a Skipped e that never started."""
    tasks = [
        timing("a-1", 100.0, 101.0, "tcp://w1:1"),
        timing("b-2", 101.5, 103.0, "tcp://w2:2"),
        timing("c-3", 103.5, 104.0, "tcp://w1:1"),
        timing("d-4", 100.2, 100.8, "tcp://w2:2", state="Failed"),
        timing("e-5", None, None, None, state="Skipped"),
    ]
    edges = {"b-2": ("a-1",), "c-3": ("b-2",), "e-5": ("d-4",)}
    return summarise([RunTimings("run1", "Failed", 99.5, 104.5, tasks, edges)])


def lanes(page: str) -> list[str]:
    return re.findall(r'<g class="lane" data-worker="([^"]*)">', page)


def bars(page: str) -> list[str]:
    return re.findall(r'<rect class="(bar[^"]*)" data-key="([^"]*)"', page)


def test_report_has_one_lane_per_worker_and_one_bar_per_timed_task_run() -> None:
    """Each worker gets one lane; every task run with a start and an end gets one bar; untimed ones get none."""
    page = render_report("bench", two_worker_summary())
    assert lanes(page) == ["tcp://w1:1", "tcp://w2:2"]
    assert sorted(key for _, key in bars(page)) == ["a-1", "b-2", "c-3", "d-4"]


def test_bars_mark_the_critical_path_and_failures_and_carry_a_tooltip() -> None:
    """Critical-path bars have class critical, failed ones class failed, and each bar a title with its timing."""
    page = render_report("bench", two_worker_summary())
    classes = {key: cls.split() for cls, key in bars(page)}
    assert sorted(k for k, c in classes.items() if "critical" in c) == ["a-1", "b-2", "c-3"]
    assert [k for k, c in classes.items() if "failed" in c] == ["d-4"]
    assert "<title>b[0] (b-2) Completed on tcp://w2:2: 1.500000 s, from +2.000000 s</title>" in page


def test_overlapping_task_runs_on_one_worker_stack_into_rows() -> None:
    """Two task runs that overlap in one lane are drawn at different heights; a later one reuses the first row."""
    tasks = [timing("x-1", 0.0, 2.0, None), timing("x-2", 1.0, 3.0, None), timing("x-3", 2.5, 4.0, None)]
    page = render_report("bench", summarise([RunTimings("r", "Completed", 0.0, 4.0, tasks)]))
    assert lanes(page) == [IN_PROCESS]
    ys = dict(re.findall(r'data-key="([^"]*)" x="[^"]*" y="([^"]*)"', page))
    assert ys["x-1"] != ys["x-2"]
    assert ys["x-3"] == ys["x-1"]


def test_report_is_self_contained_and_escapes_names() -> None:
    """The page loads nothing from elsewhere (no scripts, links or sources) and escapes task and flow names."""
    tasks = [TaskTiming("k-1", "<evil>", "<evil>", "Completed", 0.0, 1.0, None)]
    page = render_report("bench <flow>", summarise([RunTimings("r", "Completed", 0.0, 1.0, tasks)]), "a & b")
    assert "<script" not in page and "href=" not in page and "src=" not in page and "@import" not in page
    assert "<evil>" not in page and "&lt;evil&gt;" in page
    assert "<h1>bench &lt;flow&gt;</h1>" in page and "a &amp; b" in page


def test_report_has_the_stats_table_the_repeats_and_the_critical_path() -> None:
    """The page lists each task name's statistics, each repeat, and the median repeat's path task by task."""
    page = render_report("bench", two_worker_summary())
    assert "<tr><td>b</td><td>1</td><td>0</td><td>1.500000</td><td>1.500000</td><td>1.500000</td></tr>" in page
    assert "<td>run1</td><td>Failed</td><td>5</td><td>5.000000</td><td>3</td><td>3.000000</td><td>4.000000</td>" in page
    assert re.findall(r"<li>(\w)\[0\]", page) == ["a", "b", "c"]


def test_a_timeline_beyond_the_bar_limit_draws_the_longest_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_BARS task runs, a timeline keeps the longest ones and says how many it shows."""
    monkeypatch.setattr(bench_html, "MAX_BARS", 2)
    tasks = [timing("x-1", 0.0, 1.0, None), timing("x-2", 0.0, 3.0, None), timing("x-3", 0.0, 2.0, None)]
    page = render_report("bench", summarise([RunTimings("r", "Completed", 0.0, 3.0, tasks)]))
    assert sorted(key for _, key in bars(page)) == ["x-2", "x-3"]
    assert "showing the 2 longest of 3 task runs" in page
