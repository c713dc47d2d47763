"""The HTML report of ``daskflow bench``: one self-contained file, no scripts, no network.

It holds the per-task-name statistics, the repeats (wall time, critical path,
scheduling share), the median repeat's critical path task by task, and a
Gantt timeline per repeat drawn as inline SVG: one lane per worker
(``data-worker`` on the lane's ``<g class="lane">``), one bar per timed task
run (``<rect class="bar">``) placed by its start and end, coloured by task
name, outlined red when it failed and black when it is on the critical path,
with a ``<title>`` tooltip. Task runs that overlap on one worker (its threads)
stack into rows within the lane. The median repeat's timeline is open; the
others are folded. Beyond ``MAX_BARS`` task runs a timeline draws the
longest ones and says so.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Final

from ..records.states import FAILED_TYPES
from .bench_stats import BenchSummary, RunSummary, TaskTiming

__all__ = ["IN_PROCESS", "MAX_BARS", "render_report"]

#: The lane of task runs that reported no worker: the local executor runs them in the driver process.
IN_PROCESS: Final = "in-process"
MAX_BARS: Final = 20_000
_PALETTE: Final = (
    "#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948",
    "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295", "#a0cbe8",
)  # fmt: skip
_FAILED: Final = frozenset(s.value for s in FAILED_TYPES)
_WIDTH: Final = 1000.0
_LABEL: Final = 200.0
_ROW: Final = 14.0
_GAP: Final = 6.0
_AXIS: Final = 24.0

_CSS: Final = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { padding: 2px 10px; text-align: right; border-bottom: 1px solid #ddd; }
th:first-child, td:first-child { text-align: left; }
.muted { color: #777; }
.legend span { display: inline-block; margin-right: 1em; }
.legend i { display: inline-block; width: .9em; height: .9em; margin-right: .3em; vertical-align: -1px; }
svg { width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
rect.bar.failed { stroke: #d62728; stroke-width: 1.5; }
rect.bar.critical { stroke: #000; stroke-width: 1.2; }
ol.path { columns: 3; font-family: ui-monospace, monospace; font-size: 12px; }
"""


def _s(seconds: float) -> str:
    return f"{seconds:.6f}"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _colours(summary: BenchSummary) -> dict[str, str]:
    names = [s.task for s in summary.stats]
    for r in summary.runs:
        names.extend(t.task for t in r.run.tasks)
    unique = list(dict.fromkeys(names))
    return {name: _PALETTE[i % len(_PALETTE)] for i, name in enumerate(unique)}


def render_report(title: str, summary: BenchSummary, subtitle: str = "") -> str:
    """The whole report as one HTML document."""
    colours = _colours(summary)
    median = summary.median_run
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
    ]
    if subtitle:
        parts.append(f'<p class="muted">{_e(subtitle)}</p>')
    parts.append(
        f"<p>{len(summary.runs)} repeat(s); median wall time {_s(summary.median_wall)} s; "
        f"median critical path {_s(summary.median_critical_work)} s of task work; "
        f"median scheduling share {summary.median_share:.1%} (wall time with no task running).</p>"
    )
    parts.extend(_stats_table(summary))
    parts.extend(_repeats_table(summary))
    parts.extend(_path_list(median))
    parts.append("<h2>Timeline</h2>")
    parts.append(_legend(colours))
    for i, run in enumerate(summary.runs):
        is_median = i == summary.median_index
        label = f"repeat {i + 1}: flow run {run.run.run_id}, {run.run.state}, {_s(run.run.wall)} s"
        parts.append(
            f"<details{' open' if is_median else ''}><summary>{_e(label)}{' (median)' if is_median else ''}</summary>"
        )
        parts.append(_gantt(run, colours))
        parts.append("</details>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _stats_table(summary: BenchSummary) -> list[str]:
    rows = [
        f"<tr><td>{_e(s.task)}</td><td>{s.count}</td><td>{s.hits}</td><td>{_s(s.median)}</td><td>{_s(s.p95)}</td>"
        f"<td>{_s(s.total)}</td></tr>"
        for s in summary.stats
    ]
    return [
        "<h2>Task time by task name (all repeats, seconds)</h2>",
        '<table class="stats"><tr><th>task</th><th>count</th><th>cache hits</th><th>median</th><th>p95</th>'
        "<th>total</th></tr>",
        *rows,
        "</table>",
    ]


def _repeats_table(summary: BenchSummary) -> list[str]:
    rows = []
    for i, r in enumerate(summary.runs):
        cp = r.critical_path
        rows.append(
            f"<tr><td>{i + 1}</td><td>{_e(r.run.run_id)}</td><td>{_e(r.run.state)}</td><td>{len(r.run.tasks)}</td>"
            f"<td>{_s(r.run.wall)}</td><td>{len(cp.tasks)}</td><td>{_s(cp.work)}</td><td>{_s(cp.span)}</td>"
            f"<td>{r.scheduling_share:.1%}</td></tr>"
        )
    return [
        "<h2>Repeats</h2>",
        '<table class="repeats"><tr><th>#</th><th>flow run</th><th>state</th><th>task runs</th><th>wall s</th>'
        "<th>critical path tasks</th><th>path work s</th><th>path span s</th><th>scheduling share</th></tr>",
        *rows,
        "</table>",
    ]


def _path_list(median: RunSummary, limit: int = 1_000) -> list[str]:
    cp = median.critical_path
    items = [
        f"<li>{_e(t.name)} <span class='muted'>{_s(t.duration or 0.0)} s &middot; {_e(t.key)}</span></li>"
        for t in cp.tasks[:limit]
    ]
    more = [f"<p class='muted'>... and {len(cp.tasks) - limit} more</p>"] if len(cp.tasks) > limit else []
    return [
        f"<h2>Critical path of the median repeat ({_e(median.run.run_id)})</h2>",
        f"<p>{len(cp.tasks)} task runs: {_s(cp.work)} s of task work over {_s(cp.span)} s "
        "from the first one's start to the last one's end.</p>",
        f'<ol class="path">{"".join(items)}</ol>',
        *more,
    ]


def _legend(colours: dict[str, str]) -> str:
    spans = "".join(f'<span><i style="background:{c}"></i>{_e(name)}</span>' for name, c in colours.items())
    return f'<p class="legend">{spans}</p>'


def _lanes(tasks: Sequence[TaskTiming]) -> dict[str, list[list[TaskTiming]]]:
    """Task runs by worker, each worker's packed into rows where no two bars overlap (first row that fits)."""
    by_worker: dict[str, list[TaskTiming]] = {}
    for t in tasks:
        by_worker.setdefault(t.worker or IN_PROCESS, []).append(t)
    lanes: dict[str, list[list[TaskTiming]]] = {}
    for worker in sorted(by_worker):
        rows: list[list[TaskTiming]] = []
        ends: list[float] = []
        for t in sorted(by_worker[worker], key=lambda t: (t.start or 0.0, t.end or 0.0)):
            assert t.start is not None and t.end is not None
            for i, end in enumerate(ends):
                if end <= t.start:
                    rows[i].append(t)
                    ends[i] = t.end
                    break
            else:
                rows.append([t])
                ends.append(t.end)
        lanes[worker] = rows
    return lanes


def _ticks(span: float) -> list[float]:
    if span <= 0:
        return [0.0]
    raw = span / 8
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= step * factor:
            step *= factor
            break
    return [i * step for i in range(int(span / step) + 1)]


def _gantt(summary: RunSummary, colours: dict[str, str]) -> str:
    run = summary.run
    timed = [t for t in run.tasks if t.start is not None and t.end is not None]
    note = ""
    if len(timed) > MAX_BARS:
        timed = sorted(timed, key=lambda t: -(t.duration or 0.0))[:MAX_BARS]
        note = f'<p class="muted">showing the {MAX_BARS:,} longest of {len(run.tasks):,} task runs</p>'
    origin = min([run.started, *(t.start for t in timed if t.start is not None)])
    finish = max([run.ended, *(t.end for t in timed if t.end is not None)])
    span = max(finish - origin, 1e-9)
    scale = (_WIDTH - _LABEL) / span
    critical = set(summary.critical_path.keys)
    lanes = _lanes(timed)
    y = _AXIS
    body: list[str] = []
    for worker, rows in lanes.items():
        height = max(len(rows), 1) * _ROW
        count = sum(len(r) for r in rows)
        body.append(f'<g class="lane" data-worker="{_e(worker)}">')
        body.append(
            f'<rect x="0" y="{y:.1f}" width="{_WIDTH}" height="{height:.1f}" fill="#f3f3f3" fill-opacity="0.7"/>'
        )
        body.append(f'<text x="4" y="{y + 11:.1f}">{_e(_clip(worker, 30))} ({count})</text>')
        for i, row in enumerate(rows):
            top = y + i * _ROW + 1
            for t in row:
                assert t.start is not None and t.end is not None
                x = _LABEL + (t.start - origin) * scale
                w = max((t.end - t.start) * scale, 0.5)
                classes = "bar" + (" failed" if t.state in _FAILED else "") + (" critical" if t.key in critical else "")
                tip = (
                    f"{t.name} ({t.key}) {t.state} on {t.worker or IN_PROCESS}: {_s(t.duration or 0.0)} s, "
                    f"from +{_s(t.start - origin)} s"
                )
                body.append(
                    f'<rect class="{classes}" data-key="{_e(t.key)}" x="{x:.2f}" y="{top:.1f}" width="{w:.2f}" '
                    f'height="{_ROW - 2:.0f}" fill="{colours.get(t.task, _PALETTE[0])}"><title>{_e(tip)}</title></rect>'
                )
        body.append("</g>")
        y += height + _GAP
    axis = [f'<line x1="{_LABEL}" y1="{_AXIS - 4}" x2="{_WIDTH}" y2="{_AXIS - 4}" stroke="#999"/>']
    for tick in _ticks(span):
        x = _LABEL + tick * scale
        axis.append(f'<line x1="{x:.2f}" y1="{_AXIS - 8}" x2="{x:.2f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        axis.append(f'<text x="{x:.2f}" y="{_AXIS - 10}" text-anchor="middle">{tick:g}s</text>')
    svg = (
        f'<svg class="gantt" data-run="{_e(run.run_id)}" viewBox="0 0 {_WIDTH} {y:.1f}" '
        f'xmlns="http://www.w3.org/2000/svg" role="img">{"".join(axis)}{"".join(body)}</svg>'
    )
    return note + svg


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else "..." + text[-(limit - 3) :]
