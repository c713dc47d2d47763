"""``daskflow runs ls | show | logs``: read the run store.

``runs show`` groups task runs by task name (how many, their states, median
and longest duration) and lists only the failed and unfinished ones one by
one, so a 1,001-task run reads in a screen; ``--all`` or ``--task NAME``
list task runs one by one.

Opening the store goes through ``open_history_store``, so any of these also
marks runs whose driver died (heartbeat older than the grace) as Crashed
before showing them. A run id may be given by any unique prefix.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from ...history.recorder import open_history_store
from ...history.store import (
    STATES,
    TERMINAL_STATES,
    AmbiguousRunIdError,
    FlowRunRow,
    RunStore,
    TaskRunRow,
    default_store_path,
)
from .tables import print_table, when
from .usage import UsageError

__all__ = ["add_parsers"]

_FAILED = ("Failed", "TimedOut", "Crashed")
#: Failed and unfinished task runs listed one by one under the per-task-name table, at most.
_NOTABLE_SHOWN = 100


def add_parsers(commands: Any) -> None:
    runs = commands.add_parser("runs", help="list and inspect recorded flow runs")
    sub = runs.add_subparsers(dest="runs_command", required=True)
    ls = sub.add_parser("ls", help="recent flow runs, newest first")
    ls.add_argument("--flow", help="only runs of this flow")
    ls.add_argument("--state", help="only runs in this state, like Failed or Running")
    ls.add_argument("--limit", type=int, default=20, help="how many runs to show (0 for all; default 20)")
    ls.set_defaults(handler=_ls)
    show = sub.add_parser("show", help="one flow run: its task runs by task name, failures, and tracebacks")
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument("--all", action="store_true", help="list every task run instead of grouping them by task name")
    show.add_argument(
        "--task", metavar="NAME", help="list the task runs of one task (a task name, transform[3], or a key)"
    )
    show.set_defaults(handler=_show)
    logs = sub.add_parser("logs", help="the log lines of a flow run")
    logs.add_argument("run_id", metavar="RUN_ID")
    logs.add_argument("--task", help="only this task (a task name, a name like transform[3], or a key)")
    logs.set_defaults(handler=_logs)


def _ls(args: argparse.Namespace) -> int:
    if args.state is not None and args.state not in STATES:
        raise UsageError(f"unknown state {args.state!r}; use one of {', '.join(sorted(STATES))}")
    store = open_history_store()
    runs = store.list_flow_runs(flow=args.flow, state=args.state, limit=args.limit)
    if not runs:
        print(f"no flow runs recorded in {default_store_path()}")
        return 0
    rows = []
    scheduled = any(run.tick is not None for run in runs)
    for run in runs:
        counts = store.task_state_counts(run.run_id)
        failed = sum(counts.get(s, 0) for s in _FAILED)
        tasks = f"{sum(counts.values())}" + (f" ({failed} failed)" if failed else "")
        row = (run.run_id, run.flow_name, run.state, when(run.started), _duration(run), tasks)
        # A scheduled run (daskflow serve) shows the tick it is for.
        rows.append((*row, when(run.tick) if run.tick is not None else "-") if scheduled else row)
    headers = ("RUN ID", "FLOW", "STATE", "STARTED", "DURATION", "TASKS")
    print_table((*headers, "TICK") if scheduled else headers, rows)
    return 0


def _show(args: argparse.Namespace) -> int:
    store = open_history_store()
    run = _find(store, args.run_id)
    print(f"flow run {run.run_id} of {run.flow_name!r}: {run.state}")
    print(f"  started   {when(run.started)}   duration {_duration(run)}")
    if run.host or run.pid:
        print(f"  driver    {run.host} pid {run.pid}")
    if run.tick is not None:
        print(f"  schedule  {run.schedule_id}, tick {when(run.tick)}")
    print(f"  parameters {run.parameters}")
    if run.message:
        print(f"  message   {run.message}")
    origin = store.results.origin(run.run_id)
    hits = store.results.hit_counts(run.run_id)
    if origin is not None and origin.resumed_from:
        print(f"  resumed   from flow run {origin.resumed_from}: {hits.get('resume', 0)} task runs reused")
    if hits:
        print(
            f"  results   {hits.get('written', 0)} persisted, {hits.get('cache', 0)} cache hits, "
            f"{hits.get('resume', 0)} reused"
        )
    tasks = store.list_task_runs(run.run_id)
    counts = store.task_state_counts(run.run_id)
    print(f"\ntask runs: {len(tasks)}" + (f" ({_counts(counts)})" if counts else ""))
    if args.all or args.task:
        selected = tasks if args.all else [t for t in tasks if args.task in (t.task, t.name, t.key)]
        if not selected and tasks:
            names = ", ".join(sorted({t.task for t in tasks}))
            raise UsageError(f"flow run {run.run_id} has no task {args.task!r}; its tasks: {names}")
        _task_rows(selected)
    elif tasks:
        _by_task_name(tasks)
        notable = [t for t in tasks if t.state in _FAILED or t.state not in TERMINAL_STATES]
        if notable:
            print("\nfailed and unfinished task runs:")
            _task_rows(notable[:_NOTABLE_SHOWN])
            if len(notable) > _NOTABLE_SHOWN:
                print(f"... {len(notable) - _NOTABLE_SHOWN} more; pass --all to list every task run")
    _errors([t for t in tasks if t.state in _FAILED])
    return 0


def _by_task_name(tasks: Sequence[TaskRunRow]) -> None:
    """One row per task name: how many runs, how many in each state, and their median and longest duration."""
    groups: dict[str, list[TaskRunRow]] = {}
    for t in tasks:
        groups.setdefault(t.task, []).append(t)
    rows = []
    for name, group in groups.items():
        states = Counter(t.state for t in group)
        durations = [t.end - t.start for t in group if t.start is not None and t.end is not None]
        median = f"{statistics.median(durations):.3f}s" if durations else "-"
        longest = f"{max(durations):.3f}s" if durations else "-"
        rows.append((name, str(len(group)), _counts(dict(states)), median, longest))
    print_table(("TASK", "RUNS", "STATES", "MEDIAN", "MAX"), rows)


def _task_rows(tasks: Sequence[TaskRunRow]) -> None:
    rows = [(t.name, t.state, _seconds(t), str(t.attempt), t.worker or "-", _clip(t.message or "", 60)) for t in tasks]
    if rows:
        print_table(("TASK RUN", "STATE", "DURATION", "ATTEMPT", "WORKER", "MESSAGE"), rows)


def _logs(args: argparse.Namespace) -> int:
    store = open_history_store()
    run = _find(store, args.run_id)
    lines = store.get_logs(run.run_id, task=args.task)
    if not lines and args.task is not None:
        tasks = store.list_task_runs(run.run_id)
        if not any(args.task in (t.task, t.name, t.key) for t in tasks):
            names = ", ".join(sorted({t.task for t in tasks})) or "none recorded"
            raise UsageError(f"flow run {run.run_id} has no task {args.task!r}; its tasks: {names}")
    for line in lines:
        where = line.name or "flow"
        print(f"{when(line.ts, millis=True)} {line.level:<8} {where}: {line.message}")
    return 0


def _find(store: RunStore, run_id: str) -> FlowRunRow:
    try:
        run = store.get_flow_run(run_id)
    except AmbiguousRunIdError as exc:
        raise UsageError(str(exc)) from None
    if run is None:
        raise UsageError(f"no flow run {run_id!r} in {default_store_path()}; list them with 'daskflow runs ls'")
    return run


def _errors(failed: Sequence[TaskRunRow], limit: int = 10) -> None:
    if not failed:
        return
    print(f"\nerrors ({len(failed)}):")
    for task in failed[:limit]:
        headline = f"{task.error_type}: {task.error_message}" if task.error_type else (task.message or "")
        print(f"\n--- {task.name} {task.state}: {headline}")
        if task.traceback:
            print(task.traceback.rstrip())
    if len(failed) > limit:
        print(f"\n... and {len(failed) - limit} more failed task runs")


def _duration(run: FlowRunRow) -> str:
    if run.ended is None:
        return f"{time.time() - run.started:.1f}s so far" if run.state == "Running" else "-"
    return f"{run.ended - run.started:.2f}s"


def _seconds(task: TaskRunRow) -> str:
    return "-" if task.start is None or task.end is None else f"{task.end - task.start:.3f}s"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{state} {n}" for state, n in sorted(counts.items()))


def _clip(text: str, limit: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
