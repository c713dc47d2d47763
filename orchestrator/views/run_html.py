"""HTML views of a flow run for Jupyter: ``FlowRun._repr_html_`` and the live progress table.

Both are self-contained HTML fragments (inline styles, no scripts), so they
render in Jupyter, JupyterLab, VS Code and a saved ``.ipynb`` alike. Every
piece of user text (names, messages, tracebacks, log lines) is escaped.

* ``flow_run_html(run)``: the run's state, duration and message; a table per
  task name (how many, their states, total and slowest duration), or one row
  per task run for small runs; and the errors, each traceback folded in a
  ``<details>``.
* ``progress_html(...)``: while a run is going, per task name done / running
  / failed / total with a bar, and the latest log lines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING

from ..records.states import FAILED_TYPES, StateType
from .visualize import STATE_COLOURS

if TYPE_CHECKING:
    from ..records.runs import FlowRun, TaskRun
    from .progress import Row

__all__ = ["flow_run_html", "progress_html"]

#: Up to this many task runs get a row each; above it, one row per task name.
PER_TASK_RUN_ROWS = 20
#: Errors shown with their traceback; the rest are counted.
SHOWN_ERRORS = 5

_TABLE = 'style="border-collapse:collapse;font-size:12px;margin:4px 0"'
_CELL = 'style="padding:2px 8px;text-align:{align};border-bottom:1px solid #e0e0e0"'


def _badge(state: StateType) -> str:
    colour = STATE_COLOURS.get(state, "#dddddd")
    return (
        f'<span style="background:{colour};border-radius:3px;padding:0 5px;'
        f'border:1px solid #00000022">{escape(state.value)}</span>'
    )


def _seconds(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    def cell(tag: str, text: str, i: int) -> str:
        return f"<{tag} {_CELL.format(align='left' if i == 0 else 'right')}>{text}</{tag}>"

    head = "".join(cell("th", escape(h), i) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", c, i) for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table {_TABLE}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _header(name: str, run_id: str, state: StateType, seconds: float | None, message: str | None) -> str:
    took = f" in {_seconds(seconds)}" if seconds is not None else ""
    line = f"<b>flow run {escape(run_id)}</b> of <code>{escape(name)}</code>: {_badge(state)}{escape(took)}"
    if message:
        line += f'<div style="color:#555;font-size:12px">{escape(message)}</div>'
    return f'<div style="font-family:sans-serif;font-size:13px;margin:2px 0">{line}</div>'


def flow_run_html(run: FlowRun) -> str:
    """The finished (or running) ``run`` as an HTML fragment; see the module docstring."""
    records = list(run.task_runs.values())
    parts = [_header(run.flow_name, run.id, run.state, run.duration, run.message)]
    if len(records) <= PER_TASK_RUN_ROWS:
        rows = [
            [
                escape(tr.name),
                _badge(tr.state),
                _seconds(tr.duration),
                escape(str(tr.attempt or "")),
                escape(tr.worker or ""),
            ]
            for tr in records
        ]
        parts.append(_table(["task run", "state", "duration", "attempts", "worker"], rows))
    else:
        parts.append(_table(["task", "runs", "states", "total", "slowest"], _by_task(records)))
    parts.append(_errors(run))
    return f'<div class="daskflow-flow-run">{"".join(parts)}</div>'


def _by_task(records: list[TaskRun]) -> list[list[str]]:
    groups: dict[str, list[TaskRun]] = {}
    for tr in records:
        groups.setdefault(tr.task, []).append(tr)
    rows = []
    for task, group in groups.items():
        states = Counter(tr.state for tr in group)
        shown = " ".join(f"{_badge(state)}&nbsp;{n}" for state, n in states.most_common())
        durations = [d for tr in group if (d := tr.duration) is not None]
        total = sum(durations) if durations else None
        slowest = max(durations) if durations else None
        rows.append([escape(task), str(len(group)), shown, _seconds(total), _seconds(slowest)])
    return rows


def _errors(run: FlowRun) -> str:
    failed = [tr for tr in run.task_runs.values() if tr.state in FAILED_TYPES]
    blocks = []
    for tr in failed[:SHOWN_ERRORS]:
        error = tr.error
        summary = f"{escape(tr.name)} {escape(tr.state.value)}: " + (
            escape(f"{error.type}: {error.message}") if error is not None else escape(tr.message or "")
        )
        trace = error.traceback if error is not None and error.traceback else (tr.message or "")
        blocks.append(
            f'<details><summary style="color:#b00020">{summary}</summary>'
            f'<pre style="font-size:11px;white-space:pre-wrap">{escape(trace)}</pre></details>'
        )
    if run.body_error is not None:
        body = run.body_error
        blocks.append(
            f'<details><summary style="color:#b00020">flow body raised {escape(type(body).__name__)}: '
            f"{escape(str(body))}</summary></details>"
        )
    if len(failed) > SHOWN_ERRORS:
        blocks.append(f"<div>... and {len(failed) - SHOWN_ERRORS} more failed task run(s)</div>")
    return "".join(blocks)


def _bar(done: int, failed: int, total: int) -> str:
    total = max(total, 1)
    ok = 100 * done / total
    bad = 100 * failed / total
    return (
        '<div style="width:160px;height:10px;background:#eeeeee;border-radius:2px;display:flex">'
        f'<div style="width:{ok:.1f}%;background:{STATE_COLOURS[StateType.COMPLETED]}"></div>'
        f'<div style="width:{bad:.1f}%;background:{STATE_COLOURS[StateType.FAILED]}"></div></div>'
    )


def progress_html(
    name: str,
    run_id: str,
    state: StateType,
    elapsed: float,
    rows: Sequence[Row],
    logs: Sequence[tuple[str, str, str]] = (),
    message: str | None = None,
    dashboard: str | None = None,
) -> str:
    """Live progress: per task name done / running / failed / total with a bar, then the latest log lines.

    ``dashboard`` is the run's page on a running ``daskflow dashboard``, shown as a link.
    """
    table_rows = [
        [escape(r.task), str(r.done), str(r.running), str(r.failed), str(r.total), _bar(r.done, r.failed, r.total)]
        for r in rows
    ]
    parts = [
        _header(name, run_id, state, elapsed, message),
        _table(["task", "done", "running", "failed", "total", ""], table_rows),
    ]
    if dashboard:
        link = escape(dashboard, quote=True)
        parts.append(
            f'<div style="font-size:12px;margin:2px 0">dashboard: '
            f'<a href="{link}" target="_blank" rel="noopener noreferrer">{link}</a></div>'
        )
    if logs:
        lines = "\n".join(f"{level:<7} {who}: {text}" for level, who, text in logs)
        parts.append(f'<pre style="font-size:11px;margin:2px 0;max-height:12em;overflow:auto">{escape(lines)}</pre>')
    return f'<div class="daskflow-progress">{"".join(parts)}</div>'
