"""The live progress display of ``daskflow run``, and the summary it ends with.

The counts come from ``orchestrator.views.progress.Progress``. Two renderers read
them: a ``rich`` live table when stdout is a terminal, and otherwise
``PlainDisplay``, one plain line every few seconds, with no escape codes, so
logs and CI output stay readable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..progress import PlainDisplay, Progress, Row, totals

if TYPE_CHECKING:
    from ...records.runs import FlowRun

__all__ = ["PlainDisplay", "Progress", "RichDisplay", "Row", "summary_lines", "totals"]


class RichDisplay:
    """A live table (task, done, running, failed, total, bar) drawn by ``rich`` on a terminal."""

    def __init__(self, progress: Progress) -> None:
        from rich.console import Console
        from rich.live import Live

        self.progress = progress
        self.console = Console()
        self._live = Live(console=self.console, refresh_per_second=4, get_renderable=self._table)

    def start(self) -> None:
        self._live.start()

    def stop(self) -> None:
        self.progress.settle()
        self._live.refresh()
        self._live.stop()

    def _table(self) -> Any:
        from rich.progress_bar import ProgressBar
        from rich.table import Table

        rows = self.progress.rows()
        table = Table(
            title=f"{self.progress.engine.run.flow_name} {self.progress.engine.run.id}  {self.progress.elapsed():.1f}s",
            title_justify="left",
        )
        for column in ("task", "done", "running", "failed", "total"):
            table.add_column(column, justify="left" if column == "task" else "right")
        table.add_column("")
        for row in [*rows, totals(rows)] if len(rows) > 1 else rows:
            failed = f"[red]{row.failed}[/red]" if row.failed else "0"
            bar = ProgressBar(total=max(row.total, 1), completed=row.done + row.failed, width=30)
            table.add_row(row.task, str(row.done), str(row.running), failed, str(row.total), bar)
        return table


def summary_lines(run: FlowRun, elapsed: float, store_path: str | None, slowest: int = 5) -> list[str]:
    """The end-of-run summary: outcome, task runs by state, the slowest tasks, errors, where it is recorded."""
    records = list(run.task_runs.values())
    counts = ", ".join(f"{state} {n}" for state, n in sorted(run.counts().items()))
    lines = [
        f"flow run {run.id} of {run.flow_name!r}: {run.state.value} in {elapsed:.2f} s",
        f"task runs: {len(records)}" + (f" ({counts})" if counts else ""),
    ]
    hits = run.hits()
    if run.resumed_from is not None:
        lines.append(f"resumed from flow run {run.resumed_from}: {hits.get('resume', 0)} task runs reused")
    if hits.get("cache"):
        lines.append(f"cache hits: {hits['cache']}")
    timed = sorted((tr for tr in records if tr.duration is not None), key=lambda tr: -(tr.duration or 0.0))
    if timed:
        lines.append("slowest: " + ", ".join(f"{tr.name} {tr.duration:.3f} s" for tr in timed[:slowest]))
    failures = run.unhandled_failures()
    for tr in failures[:5]:
        detail = f"{tr.error.type}: {tr.error.message}" if tr.error is not None else (tr.message or "")
        lines.append(f"failed: {tr.name} {tr.state.value}: {detail}")
    if len(failures) > 5:
        lines.append(f"failed: ... and {len(failures) - 5} more")
    if run.message and not failures and not run.is_completed:
        lines.append(f"reason: {run.message}")
    if store_path is not None:
        lines.append(f"recorded in {store_path}; see: daskflow runs show {run.id}")
    else:
        lines.append("not recorded (DASKFLOW_RECORD is off)")
    return lines
