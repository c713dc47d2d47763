"""The numbers of ``daskflow bench`` on hand-built task runs: statistics, critical path, scheduling share."""

from __future__ import annotations

import pytest

from orchestrator.views.bench_stats import (
    RunTimings,
    TaskTiming,
    busy_time,
    critical_path,
    quantile,
    scheduling_share,
    summarise,
    task_stats,
)


def timing(
    key: str, start: float | None, end: float | None, worker: str | None = None, state: str = "Completed"
) -> TaskTiming:
    """A task run whose task name is its key up to the first dash (``read-1`` is a run of ``read``)."""
    return TaskTiming(key, key.split("-")[0], key.split("-")[0], state, start, end, worker)


def run(
    tasks: list[TaskTiming], edges: dict[str, tuple[str, ...]] | None = None, started: float = 0.0, ended: float = 10.0
) -> RunTimings:
    return RunTimings("r1", "Completed", started, ended, tasks, edges or {})


def test_quantile_interpolates_linearly_between_the_nearest_ranks() -> None:
    """The median of an even count is the midpoint; p95 of 1..20 is 19.05; one value is every quantile."""
    assert quantile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert quantile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert quantile([float(i) for i in range(1, 21)], 0.95) == pytest.approx(19.05)
    assert quantile([7.0], 0.95) == 7.0
    assert quantile([1.0, 9.0], 1.0) == 9.0


def test_quantile_rejects_no_values_and_out_of_range_q() -> None:
    """Asking for a quantile of nothing, or outside 0..1, raises ValueError."""
    with pytest.raises(ValueError, match="no values"):
        quantile([], 0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        quantile([1.0], 1.5)


def test_task_stats_pool_repeats_by_task_name_and_skip_untimed_runs() -> None:
    """Stats pool every repeat's runs of a name, leave out runs without both times, and list the slowest total first."""
    first = run([timing("read-1", 0.0, 1.0), timing("read-2", 0.0, 3.0), timing("load-3", 4.0, 4.5)])
    skipped = timing("load-6", None, None, state="Skipped")
    second = run([timing("read-4", 0.0, 2.0), timing("load-5", 5.0, 5.5), skipped])
    stats = task_stats([first, second])
    assert [s.task for s in stats] == ["read", "load"]
    read, load = stats
    assert (read.count, read.median, read.total) == (3, 2.0, 6.0)
    assert read.p95 == pytest.approx(2.9)
    assert (load.count, load.median, load.p95, load.total) == (2, 0.5, 0.5, 1.0)


def test_critical_path_follows_the_heaviest_dependency_chain() -> None:
    """In a diamond a -> (b: 3 s, c: 1 s) -> d the path is a, b, d; span runs from a's start to d's end."""
    tasks = [timing("a-1", 0.0, 1.0), timing("b-2", 1.5, 4.5), timing("c-3", 1.5, 2.5), timing("d-4", 5.0, 5.5)]
    edges = {"b-2": ("a-1",), "c-3": ("a-1",), "d-4": ("b-2", "c-3")}
    path = critical_path(run(tasks, edges))
    assert path.keys == ("a-1", "b-2", "d-4")
    assert path.names == ("a", "b", "d")
    assert path.work == pytest.approx(4.5)
    assert path.span == pytest.approx(5.5)


def test_critical_path_without_edges_is_the_longest_single_task() -> None:
    """With no dependencies (a fan-out), the critical path is the one task run with the most time."""
    tasks = [timing("x-1", 0.0, 1.0), timing("x-2", 0.0, 2.5), timing("x-3", 1.0, 2.0)]
    path = critical_path(run(tasks))
    assert path.keys == ("x-2",)
    assert (path.work, path.span) == (2.5, 2.5)


def test_critical_path_counts_untimed_tasks_as_zero_and_ignores_unknown_upstreams() -> None:
    """A Skipped task adds no time but still links the chain; upstream keys outside the run are ignored."""
    tasks = [timing("a-1", 0.0, 2.0), timing("s-2", None, None, state="Skipped"), timing("z-3", 3.0, 4.0)]
    edges = {"s-2": ("a-1", "elsewhere-9"), "z-3": ("s-2",)}
    path = critical_path(run(tasks, edges))
    assert path.keys == ("a-1", "s-2", "z-3")
    assert path.work == 3.0
    assert path.span == 4.0


def test_critical_path_breaks_ties_toward_the_earlier_seen_task() -> None:
    """Two equally heavy chains resolve to the one whose tasks the store saw first, every time."""
    tasks = [timing("p-1", 0.0, 1.0), timing("q-2", 0.0, 1.0), timing("r-3", 1.0, 2.0), timing("s-4", 1.0, 2.0)]
    edges = {"r-3": ("q-2", "p-1"), "s-4": ("q-2",)}
    assert critical_path(run(tasks, edges)).keys == ("p-1", "r-3")


def test_critical_path_of_an_empty_run_is_empty() -> None:
    """A run with no task runs has an empty critical path of zero length."""
    path = critical_path(run([]))
    assert (path.tasks, path.work, path.span) == ((), 0.0, 0.0)


def test_critical_path_rejects_a_cyclic_graph() -> None:
    """Edges that form a cycle raise ValueError naming keys on it, instead of looping."""
    tasks = [timing("a-1", 0.0, 1.0), timing("b-2", 1.0, 2.0)]
    with pytest.raises(ValueError, match="cycle through a-1, b-2"):
        critical_path(run(tasks, {"a-1": ("b-2",), "b-2": ("a-1",)}))


def test_busy_time_is_the_union_of_intervals_clipped_to_the_run() -> None:
    """Overlapping intervals count once, touching ones join, and parts outside [lo, hi] are cut off."""
    assert busy_time([(1.0, 3.0), (2.0, 4.0), (6.0, 7.0)], 0.0, 10.0) == 4.0
    assert busy_time([(1.0, 2.0), (2.0, 3.0)], 0.0, 10.0) == 2.0
    assert busy_time([(-5.0, 1.0), (9.0, 15.0)], 0.0, 10.0) == 2.0
    assert busy_time([(11.0, 12.0), (3.0, 3.0)], 0.0, 10.0) == 0.0
    assert busy_time([], 0.0, 10.0) == 0.0


def test_scheduling_share_is_the_wall_time_with_no_task_running() -> None:
    """A 10 s run whose tasks cover 1-4 s and 6-7 s spends 60% of its wall time with no task running."""
    tasks = [timing("a-1", 1.0, 3.0, "w1"), timing("b-2", 2.0, 4.0, "w2"), timing("c-3", 6.0, 7.0, "w1")]
    assert scheduling_share(run(tasks)) == pytest.approx(0.6)
    assert scheduling_share(run([timing("a-1", 0.0, 10.0)])) == 0.0
    assert scheduling_share(run([])) == 1.0
    assert scheduling_share(run(tasks, started=5.0, ended=5.0)) == 0.0


def test_summarise_picks_the_lower_middle_repeat_as_the_median_one() -> None:
    """With walls 4, 2, 3 and 5 s the median repeat is the 3 s one; medians are over every repeat."""
    runs = [
        RunTimings(f"r{i}", "Completed", 0.0, wall, [timing(f"t-{i}", 0.0, wall / 2)])
        for i, wall in enumerate([4.0, 2.0, 3.0, 5.0])
    ]
    summary = summarise(runs)
    assert summary.median_run.run.run_id == "r2"
    assert summary.median_wall == 3.5
    assert summary.median_share == 0.5
    assert summary.median_critical_work == 1.75
    assert [s.count for s in summary.stats] == [4]


def test_summarise_needs_a_run() -> None:
    """Summarising no repeats raises ValueError."""
    with pytest.raises(ValueError, match="at least one run"):
        summarise([])
