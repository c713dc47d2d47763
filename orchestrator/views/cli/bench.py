"""``daskflow bench PATH:FLOW``: run a flow N times and report where its time went.

Flow loading, ``--param`` parsing and ``--address`` / ``--executor`` are
``daskflow run``'s (``run.py``). The executor is started before the first
repeat, so no repeat pays for starting a cluster, and the repeats run one
after another without a live progress display (whatever the flow's
``progress`` option), which would poll while being measured; each prints one
line when it ends.

Timings come from the run store (``$DASKFLOW_HOME/daskflow.db``), read back
by run id once the repeats are done, so recording must be on. The graph's
dependency edges are not stored: they come from each ``FlowRun`` in this
process. The numbers and their definitions are ``orchestrator.views.bench_stats``;
the HTML report is ``orchestrator.views.bench_html``, written to ``--report`` or
else ``$DASKFLOW_HOME/reports/bench-<flow>-<first run id>.html``.

Exit codes as for ``run``: 0 when every repeat completed, 1 when any failed
(the report is still written), 2 on bad input.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ...history.recorder import RECORD_ENV, open_history_store, recording_enabled
from ...history.store import RunStore, default_store_path
from ...records.errors import OrchestratorError
from ..bench_stats import BenchSummary, RunTimings, TaskTiming, summarise
from .run import add_flow_arguments, check_params, load_target, make_executor
from .usage import UsageError

if TYPE_CHECKING:
    from executors import Executor

    from ...authoring.flows import Flow
    from ...records.runs import FlowRun

__all__ = ["add_parsers", "default_report_path", "summary_lines"]

DEFAULT_REPEAT: Final = 3
#: Critical paths longer than this print their head and tail only (the report lists every task).
_PATH_SHOWN: Final = 12


def add_parsers(commands: Any) -> None:
    bench = commands.add_parser(
        "bench", help="run a flow N times: task timing statistics, critical path, scheduling share, HTML timeline"
    )
    add_flow_arguments(bench)
    bench.add_argument(
        "--repeat",
        default=str(DEFAULT_REPEAT),
        metavar="N",
        help=f"how many times to run the flow (default {DEFAULT_REPEAT})",
    )
    bench.add_argument(
        "--report",
        metavar="PATH",
        help="the HTML report to write (default $DASKFLOW_HOME/reports/bench-FLOW-RUNID.html)",
    )
    bench.set_defaults(handler=_bench)


@dataclass(frozen=True)
class _Repeat:
    """What bench keeps of one finished repeat: the store has the rest."""

    run_id: str
    state: str
    completed: bool
    ended: float | None
    edges: dict[str, tuple[str, ...]]


def _bench(args: argparse.Namespace) -> int:
    repeat = _repeat_count(args.repeat)
    if not recording_enabled():
        raise UsageError(f"bench reads task timings from the run store, but {RECORD_ENV} turns recording off; unset it")
    report = Path(args.report).expanduser() if args.report else None
    if report is not None and report.is_dir():
        raise UsageError(f"--report {args.report!r} is a directory; give a file name like bench.html")
    flow, params = load_target(args)
    flow = flow.with_options(progress=False)  # a live display would poll while being measured
    check_params(flow, params)
    executor = _executor_for(flow, make_executor(args))
    if executor is not None:
        executor.start()  # a cluster starts now, not inside the first repeat's wall time

    repeats: list[_Repeat] = []
    described = ""
    for i in range(repeat):
        try:
            run: FlowRun = flow.run(executor=executor, **params)
        except KeyboardInterrupt:
            print("daskflow: interrupted; the flow run is recorded as Cancelled", file=sys.stderr)
            return 130
        described = described or run.executor
        repeats.append(_Repeat(run.id, run.state.value, run.is_completed, run.end, dict(run.edges)))
        took = f"{run.duration:.3f} s" if run.duration is not None else "-"
        hits = sum(run.hits().values())
        cached = f" ({hits} cache hits)" if hits else ""
        print(
            f"repeat {i + 1}/{repeat}: flow run {run.id} {run.state.value} in {took}, "
            f"{len(run.task_runs)} task runs{cached}",
            flush=True,
        )
        failures = run.unhandled_failures()
        for tr in failures[:3]:
            detail = f"{tr.error.type}: {tr.error.message}" if tr.error is not None else (tr.message or "")
            print(f"  failed: {tr.name} {tr.state.value}: {detail}")
        if run.message and not failures and not run.is_completed:
            print(f"  reason: {run.message}")
        del run

    store = open_history_store()
    summary = summarise([_timings(store, r) for r in repeats])
    path = report or default_report_path(flow.name, repeats[0].run_id)
    title = f"daskflow bench: {flow.name}"
    subtitle = (
        f"{args.target}, parameters {params or '{}'}, {repeat} repeat(s) on {described}, "
        f"recorded in {default_store_path()}, {time.strftime('%Y-%m-%d %H:%M:%S')}"
    )
    _write(path, title, summary, subtitle)
    print()
    for line in summary_lines(summary, described):
        print(line)
    print(f"report: {path}")
    return 0 if all(r.completed for r in repeats) else 1


def _repeat_count(raw: str) -> int:
    try:
        count = int(raw)
    except ValueError:
        raise UsageError(f"bad --repeat {raw!r}: expected a whole number of runs, like --repeat 5") from None
    if count < 1:
        raise UsageError(f"bad --repeat {raw!r}: the flow must run at least once")
    return count


def _executor_for(flow: Flow[Any, Any], chosen: Executor | None) -> Executor | None:
    """The executor every repeat uses: the command line's, the flow's, or the default ``Flow.run`` would take."""
    from ...authoring.flows import default_executor
    from ...authoring.prefect1 import FlowBlock

    if chosen is not None or flow.options.executor is not None:
        return chosen or flow.options.executor
    # A Prefect 1 block flow's own default is a fresh synchronous LocalExecutor per run: nothing to start.
    return None if isinstance(flow, FlowBlock) else default_executor()


def _timings(store: RunStore, repeat: _Repeat) -> RunTimings:
    row = store.get_flow_run(repeat.run_id)
    if row is None:
        message = (
            f"flow run {repeat.run_id} is missing from the run store {default_store_path()} "
            "(see the warnings above); no report"
        )
        raise OrchestratorError(message)
    tasks = [
        TaskTiming(t.key, t.task, t.name, t.state, t.start, t.end, t.worker) for t in store.list_task_runs(row.run_id)
    ]
    ended = row.ended if row.ended is not None else (repeat.ended or row.started)
    return RunTimings(row.run_id, row.state, row.started, ended, tasks, repeat.edges)


def default_report_path(flow_name: str, run_id: str) -> Path:
    """``$DASKFLOW_HOME/reports/bench-<flow>-<run id>.html``, next to the store it reads."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", flow_name).strip("._") or "flow"
    return default_store_path().parent / "reports" / f"bench-{safe}-{run_id}.html"


def _write(path: Path, title: str, summary: BenchSummary, subtitle: str) -> None:
    from ..bench_html import render_report

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_report(title, summary, subtitle), encoding="utf-8")
    except OSError as exc:
        raise OrchestratorError(f"cannot write the bench report to {path}: {exc}") from exc


def summary_lines(summary: BenchSummary, executor: str = "") -> list[str]:
    """The plain-text report: the per-name table, wall time, critical path and scheduling share."""
    runs = summary.runs
    walls = [r.run.wall for r in runs]
    lines = [f"task time by task name, seconds, over {len(runs)} repeat(s):"]
    header = ("TASK", "COUNT", "HITS", "MEDIAN", "P95", "TOTAL")
    rows = [
        (s.task, str(s.count), str(s.hits), f"{s.median:.6f}", f"{s.p95:.6f}", f"{s.total:.6f}") for s in summary.stats
    ]
    lines.extend(_table(header, rows) if rows else ["  (no task run recorded a start and an end)"])
    lines.append("")
    on = f" on {executor}" if executor else ""
    lines.append(
        f"wall time: median {summary.median_wall:.3f} s over {len(runs)} repeat(s){on} "
        f"(min {min(walls):.3f} s, max {max(walls):.3f} s)"
    )
    median = summary.median_run
    cp = median.critical_path
    lines.append(
        f"critical path: {len(cp.tasks)} task runs, {cp.work:.6f} s of task work over {cp.span:.6f} s "
        f"(flow run {median.run.run_id}, the median repeat)"
    )
    if cp.tasks:
        lines.append("  " + _path_text(cp.names))
    shares = ", ".join(f"{r.scheduling_share:.1%}" for r in runs)
    lines.append(
        f"scheduling share: median {summary.median_share:.1%} of wall time with no task running (per repeat: {shares})"
    )
    return lines


def _path_text(names: Sequence[str]) -> str:
    if len(names) <= _PATH_SHOWN:
        return " -> ".join(names)
    head, tail = names[: _PATH_SHOWN - 3], names[-3:]
    return " -> ".join([*head, f"... {len(names) - len(head) - len(tail)} more ...", *tail])


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return [line(headers), *(line(r) for r in rows)]
