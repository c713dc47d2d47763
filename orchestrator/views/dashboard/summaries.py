"""The numbers the run and compare pages show, from stored columns: pure functions, no I/O.

Per-task-name statistics and the critical path are ``views.bench_stats``'
own (the same definitions ``daskflow bench`` prints), applied to what the
store holds: the task runs' columns and the run's recorded graph.

* **Strip.** Per task name: total (the graph's nodes of that name, or the
  task runs seen if more), pending (not started yet), running (Running or
  Retrying), done (finished without failing, Skipped and Cancelled
  included), failed (Failed, TimedOut, Crashed), and the median and p95
  task time of those with a start and an end.
* **Compare.** Runs side by side: wall time, critical path, and per task
  name the median of each run against the first run (the baseline). A
  median at least ``REGRESSION`` times the baseline's and ``MIN_DELTA``
  seconds slower is a regression; as much faster, an improvement.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ...history.store import TERMINAL_STATES, FlowRunRow, GraphNode, TaskColumns
from ...history.store.read_models import FAILED_STATES
from ..bench_stats import CriticalPath, RunTimings, TaskTiming, critical_path, quantile, scheduling_share

__all__ = ["MIN_DELTA", "REGRESSION", "compare", "critical_json", "state_counts", "task_strip", "timings"]

REGRESSION: Final = 1.10
MIN_DELTA: Final = 0.001
_FAILED: Final = frozenset(FAILED_STATES)
_RUNNING: Final = frozenset({"Running", "Retrying"})


def task_strip(columns: TaskColumns, totals: Mapping[str, int]) -> list[dict[str, Any]]:
    """One entry per task name, in the graph's order: counts and task-time median and p95."""
    order = list(dict.fromkeys([*totals, *columns.tasks]))
    counts = {name: {"running": 0, "done": 0, "failed": 0, "seen": 0} for name in order}
    durations: dict[str, list[float]] = {name: [] for name in order}
    for task, state, start, end in zip(columns.tasks, columns.states, columns.starts, columns.ends):
        entry = counts[task]
        entry["seen"] += 1
        if state in _FAILED:
            entry["failed"] += 1
        elif state in TERMINAL_STATES:
            entry["done"] += 1
        elif state in _RUNNING:
            entry["running"] += 1
        if start is not None and end is not None:
            durations[task].append(max(end - start, 0.0))
    strip = []
    for name in order:
        entry = counts[name]
        total = max(totals.get(name, 0), entry["seen"])
        started = entry["running"] + entry["done"] + entry["failed"]
        values = durations[name]
        strip.append(
            {
                "task": name,
                "total": total,
                "pending": max(total - started, 0),
                "running": entry["running"],
                "done": entry["done"],
                "failed": entry["failed"],
                "median": quantile(values, 0.5) if values else None,
                "p95": quantile(values, 0.95) if values else None,
            }
        )
    return strip


def state_counts(columns: TaskColumns, totals: Mapping[str, int]) -> dict[str, int]:
    """Task runs per state; graph nodes that have not reported yet count as Pending."""
    counts: dict[str, int] = {}
    for state in columns.states:
        counts[state] = counts.get(state, 0) + 1
    unseen = sum(totals.values()) - len(columns)
    if unseen > 0:
        counts["Pending"] = counts.get("Pending", 0) + unseen
    return counts


def timings(row: FlowRunRow, columns: TaskColumns, graph: Sequence[GraphNode], now: float) -> RunTimings:
    """``bench_stats``' view of one run; a run still going ends ``now``."""
    tasks = [
        TaskTiming(key, task, name, state, start, end, worker)
        for key, task, name, state, start, end, worker in zip(
            columns.keys, columns.tasks, columns.names, columns.states, columns.starts, columns.ends, columns.workers
        )
    ]
    edges = {node.key: node.upstream for node in graph}
    ended = row.ended if row.ended is not None else max(now, row.started)
    return RunTimings(row.run_id, row.state, row.started, ended, tasks, edges)


def critical_json(path: CriticalPath, columns: TaskColumns) -> dict[str, Any]:
    """The critical path for a page: its task runs' row ids, names, work and span."""
    row_of = dict(zip(columns.keys, columns.ids))
    return {
        "ids": [row_of[t.key] for t in path.tasks if t.key in row_of],
        "names": list(path.names),
        "work": path.work,
        "span": path.span,
    }


def compare(runs: Sequence[RunTimings]) -> dict[str, Any]:
    """Each run's wall time, critical path and scheduling share, and per-task-name medians against the first."""
    per_run: list[dict[str, Any]] = []
    medians: list[dict[str, float]] = []
    for run in runs:
        path = critical_path(run)
        durations: dict[str, list[float]] = {}
        for t in run.tasks:
            d = t.duration
            if d is not None:
                durations.setdefault(t.task, []).append(d)
        medians.append({name: quantile(ds, 0.5) for name, ds in durations.items()})
        per_run.append(
            {
                "id": run.run_id,
                "state": run.state,
                "wall": run.wall,
                "critical_work": path.work,
                "critical_span": path.span,
                "critical_names": list(path.names),
                "scheduling_share": scheduling_share(run),
                "tasks": len(run.tasks),
            }
        )
    names = list(dict.fromkeys(name for m in medians for name in m))
    rows = []
    for name in names:
        base = medians[0].get(name) if medians else None
        cells = []
        for m in medians:
            value = m.get(name)
            cells.append({"median": value, "ratio": _ratio(value, base), "verdict": _verdict(value, base)})
        rows.append({"task": name, "runs": cells})
    return {"runs": per_run, "tasks": rows}


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base <= 0:
        return None
    return value / base


def _verdict(value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return ""
    if value >= base * REGRESSION and value - base >= MIN_DELTA:
        return "regression"
    if base >= value * REGRESSION and base - value >= MIN_DELTA:
        return "improvement"
    return ""
