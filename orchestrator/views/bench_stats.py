"""The numbers ``daskflow bench`` reports, computed from recorded task runs: pure, no clock, no cluster.

Input is one ``RunTimings`` per repeat: the flow run's wall-clock span as the
run store recorded it, its task runs (key, task name, state, start, end,
worker) and the graph's dependency edges (upstream keys per key). Definitions:

* **Task time** of a task run is ``end - start`` as its state layer recorded
  it on the worker: the call itself, retries and their delays included.
  Task runs without both times (Skipped before starting, Crashed) count as
  zero on a path and are left out of the statistics.
* **Per-name statistics** pool the task runs of every repeat by task name:
  count, median, 95th percentile (linear interpolation between the two
  nearest ranks, numpy's default) and total. Rows come slowest total first.
  Cache hits (Cached task runs, whose function did not run) are counted
  apart, as ``hits``, and left out of the timings.
* **Critical path** of one run: the chain of dependent task runs, following
  the graph's edges, whose task times add up to the most. Its *work* is that
  sum; its *span* is from the first one's start to the last one's end, so
  ``span - work`` is what the scheduler and the event path added between
  them. Only graph edges count: a call made after the driver waited on a
  ``.result()`` has no edge to what it waited for, so such a path starts
  after the wait.
* **Scheduling share** of one run: the share of its wall time during which no
  task run was working, ``1 - busy / wall``, where ``busy`` is the length of
  the union of all task-run intervals clipped to the run's span. It counts
  compiling and submitting graphs, the scheduler's and workers' latency
  between tasks, the driver waiting between flushes and collecting the result;
  it does not count workers idling while others work (that is the flow's
  parallelism, not overhead). Worker clocks are assumed to agree with the
  driver's; across machines, skew shows up here.
"""

from __future__ import annotations

import heapq
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

__all__ = [
    "BenchSummary",
    "CriticalPath",
    "RunSummary",
    "RunTimings",
    "TaskStats",
    "TaskTiming",
    "busy_time",
    "critical_path",
    "quantile",
    "scheduling_share",
    "summarise",
    "task_stats",
]


@dataclass(frozen=True, slots=True)
class TaskTiming:
    """One task run as the report needs it."""

    key: str
    task: str
    name: str
    state: str
    start: float | None
    end: float | None
    worker: str | None

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return max(self.end - self.start, 0.0)


@dataclass(frozen=True)
class RunTimings:
    """One repeat: the flow run's span and state, its task runs, and the graph's upstream keys per key."""

    run_id: str
    state: str
    started: float
    ended: float
    tasks: Sequence[TaskTiming]
    edges: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def wall(self) -> float:
        return max(self.ended - self.started, 0.0)


@dataclass(frozen=True, slots=True)
class TaskStats:
    """Task time of every timed run of one task name, over all repeats (seconds)."""

    task: str
    count: int
    median: float
    p95: float
    total: float
    #: Cached task runs of this name: read back, not run, so not in the timings.
    hits: int = 0


@dataclass(frozen=True, slots=True)
class CriticalPath:
    """The heaviest dependency chain of one run, first task first; see the module docstring."""

    tasks: tuple[TaskTiming, ...]
    work: float
    span: float

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(t.key for t in self.tasks)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tasks)


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What one repeat measured."""

    run: RunTimings
    critical_path: CriticalPath
    scheduling_share: float


@dataclass(frozen=True, slots=True)
class BenchSummary:
    """Every repeat, the pooled per-name statistics, and which repeat is the median one."""

    runs: tuple[RunSummary, ...]
    stats: tuple[TaskStats, ...]
    #: Index into ``runs`` of the repeat with the median wall time (the lower one of an even count).
    median_index: int

    @property
    def median_run(self) -> RunSummary:
        return self.runs[self.median_index]

    @property
    def median_wall(self) -> float:
        return statistics.median(r.run.wall for r in self.runs)

    @property
    def median_share(self) -> float:
        return statistics.median(r.scheduling_share for r in self.runs)

    @property
    def median_critical_work(self) -> float:
        return statistics.median(r.critical_path.work for r in self.runs)


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, interpolating linearly between the nearest ranks."""
    if not values:
        raise ValueError("quantile of no values")
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"quantile must be between 0 and 1, got {q}")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def task_stats(runs: Iterable[RunTimings]) -> list[TaskStats]:
    """Per-task-name count, median, p95 and total task time over ``runs``, and cache hits; slowest total first."""
    durations: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    for run in runs:
        for t in run.tasks:
            if t.state == "Cached":
                hits[t.task] = hits.get(t.task, 0) + 1
                durations.setdefault(t.task, [])
                continue
            d = t.duration
            if d is not None:
                durations.setdefault(t.task, []).append(d)
    stats = [
        TaskStats(
            name,
            len(ds),
            quantile(ds, 0.5) if ds else 0.0,
            quantile(ds, 0.95) if ds else 0.0,
            sum(ds),
            hits.get(name, 0),
        )
        for name, ds in durations.items()
    ]
    stats.sort(key=lambda s: (-s.total, s.task))
    return stats


def critical_path(run: RunTimings) -> CriticalPath:
    """The chain of dependent task runs of ``run`` with the most task time; ties go to the earlier-seen task."""
    tasks = {t.key: t for t in run.tasks}
    if not tasks:
        return CriticalPath((), 0.0, 0.0)
    order = {key: i for i, key in enumerate(tasks)}
    ups = {key: [u for u in run.edges.get(key, ()) if u in tasks] for key in tasks}
    downs: dict[str, list[str]] = {key: [] for key in tasks}
    for key, upstream in ups.items():
        for u in upstream:
            downs[u].append(key)
    # Kahn's algorithm, visiting ready keys in the order the tasks were seen, so ties break the same way each time.
    waiting = {key: len(upstream) for key, upstream in ups.items()}
    ready = [order[key] for key, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    keys = list(tasks)
    best: dict[str, float] = {}
    via: dict[str, str | None] = {}
    while ready:
        key = keys[heapq.heappop(ready)]
        prev = max(ups[key], key=lambda u: (best[u], -order[u]), default=None)
        best[key] = (tasks[key].duration or 0.0) + (best[prev] if prev is not None else 0.0)
        via[key] = prev
        for d in downs[key]:
            waiting[d] -= 1
            if waiting[d] == 0:
                heapq.heappush(ready, order[d])
    if len(best) != len(tasks):
        stuck = sorted(set(tasks) - set(best), key=order.__getitem__)[:3]
        raise ValueError(f"flow run {run.run_id}: the task graph has a cycle through {', '.join(stuck)}")
    end: str | None = max(best, key=lambda k: (best[k], -order[k]))
    path: list[TaskTiming] = []
    while end is not None:
        path.append(tasks[end])
        end = via[end]
    path.reverse()
    starts = [t.start for t in path if t.start is not None]
    ends = [t.end for t in path if t.end is not None]
    span = max(max(ends) - min(starts), 0.0) if starts and ends else 0.0
    return CriticalPath(tuple(path), sum(t.duration or 0.0 for t in path), span)


def busy_time(intervals: Iterable[tuple[float, float]], lo: float, hi: float) -> float:
    """The length of the union of ``intervals``, each clipped to ``[lo, hi]``."""
    clipped = sorted((max(a, lo), min(b, hi)) for a, b in intervals)
    total = 0.0
    cur_start: float | None = None
    cur_end = lo
    for a, b in clipped:
        if b <= a:
            continue
        if cur_start is None or a > cur_end:
            if cur_start is not None:
                total += cur_end - cur_start
            cur_start, cur_end = a, b
        else:
            cur_end = max(cur_end, b)
    if cur_start is not None:
        total += cur_end - cur_start
    return total


def scheduling_share(run: RunTimings) -> float:
    """The share of ``run``'s wall time during which no task run was working (0..1); see the module docstring."""
    wall = run.wall
    if wall <= 0.0:
        return 0.0
    intervals = [(t.start, t.end) for t in run.tasks if t.start is not None and t.end is not None]
    busy = busy_time(intervals, run.started, run.ended)
    return min(max((wall - busy) / wall, 0.0), 1.0)


def summarise(runs: Sequence[RunTimings]) -> BenchSummary:
    """Every number of the report for ``runs`` (at least one)."""
    if not runs:
        raise ValueError("summarise needs at least one run")
    summaries = tuple(RunSummary(run, critical_path(run), scheduling_share(run)) for run in runs)
    by_wall = sorted(range(len(runs)), key=lambda i: (runs[i].wall, i))
    return BenchSummary(summaries, tuple(task_stats(runs)), by_wall[(len(by_wall) - 1) // 2])
