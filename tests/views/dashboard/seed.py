"""Run stores with known contents for the dashboard tests, written through the store API."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orchestrator.history.store import SQLiteStore

T0 = 1_800_000_000.0
TRACEBACK = 'Traceback (most recent call last):\n  File "flows.py", line 9, in explode\nValueError: cannot handle {i}\n'
DASK_LINK = "http://127.0.0.1:8787/status"
WORKERS = ("tcp://127.0.0.1:40001", "tcp://127.0.0.1:40002")


@dataclass(frozen=True)
class Seeded:
    """The ids of the runs ``seed`` wrote."""

    path: Path
    done: str
    failed: str
    live: str
    others: tuple[str, ...]


def task_event(run: str, key: str, state: str, ts: float, **fields: Any) -> dict[str, Any]:
    task, _, n = key.rpartition("-")
    return {"run": run, "key": key, "task": task, "name": f"{task}[{n}]", "state": state, "ts": ts, **fields}


def _etl(store: SQLiteStore, run: str, started: float, slow: float = 1.0) -> None:
    """extract -> 3 x clean (one retried) -> load, on two workers, with logs and a recorded graph."""
    store.create_flow_run(run, "etl", {"day": "2026-11-21", "n": 3}, started, host="elsewhere", pid=1)
    nodes = [("extract-0", "extract", "extract", ())]
    nodes += [(f"clean-{i}", "clean", f"clean[{i}]", ("extract-0",)) for i in (1, 2, 3)]
    nodes.append(("load-4", "load", "load", ("clean-1", "clean-2", "clean-3")))
    store.record_graph(run, nodes)
    store.set_flow_run_info(run, {"scheduler": "tcp://127.0.0.1:8786", "dashboard": DASK_LINK, "executor": "Dask"})
    s = started
    events = [task_event(run, "extract-0", "Completed", s + 1, start=s, end=s + 1, worker=WORKERS[0])]
    events.append(task_event(run, "clean-1", "Retrying", s + 1.5, start=s + 1, end=s + 1.5, worker=WORKERS[0]))
    for i in (1, 2, 3):
        end = s + 1 + slow * i
        events.append(task_event(run, f"clean-{i}", "Completed", end, start=s + 1, end=end, worker=WORKERS[i % 2],
                                 attempt=2 if i == 1 else 1))  # fmt: skip
    events.append(task_event(run, "load-4", "Completed", s + 5, start=s + 4, end=s + 5, worker=WORKERS[1]))
    store.record_task_events(events)
    logs = [
        {"run": run, "key": "clean-1", "name": "clean[1]", "level": "INFO", "ts": s + 1.2, "message": "cleaning 1"},
        {"run": run, "key": "clean-2", "name": "clean[2]", "level": "WARNING", "ts": s + 1.3, "message": "odd row"},
        {"run": run, "key": "load-4", "name": "load", "level": "ERROR", "ts": s + 4.5, "message": "disk nearly full"},
        {"run": run, "key": None, "name": None, "level": "INFO", "ts": s + 5, "message": "flow done"},
    ]
    store.record_logs(logs)
    store.set_flow_run_state(run, "Completed", s + 5)


def seed(path: Path) -> Seeded:
    """A finished ETL run, a failed one with 30 alike failures, a live one, and runs of another flow."""
    with SQLiteStore(path) as store:
        _etl(store, "done0000aaaa", T0)
        _etl(store, "slow0000bbbb", T0 + 100, slow=2.0)
        failed = "fail0000cccc"
        store.create_flow_run(failed, "etl", {"day": "2026-11-22", "n": 30}, T0 + 200, host="elsewhere", pid=1)
        store.record_task_events(
            [
                task_event(failed, f"explode-{i}", "Failed", T0 + 201 + i / 100, start=T0 + 201, end=T0 + 201 + i / 100,
                           error={"type": "ValueError", "message": f"cannot handle {i}",
                                  "traceback": TRACEBACK.format(i=i)})
                for i in range(30)
            ]
        )  # fmt: skip
        store.set_flow_run_state(failed, "Failed", T0 + 202, "30 task run(s) failed")
        live = "live0000dddd"
        store.create_flow_run(live, "etl", {"day": "2026-11-23", "n": 5}, T0 + 300, host=socket.gethostname(),
                              pid=os.getpid())  # fmt: skip
        store.record_graph(live, [(f"step-{i}", "step", f"step[{i}]", ()) for i in range(5)])
        others = []
        for i in range(3):
            other = f"report000{i:03d}"
            store.create_flow_run(other, "report", {"n": i}, T0 + 400 + i)
            store.set_flow_run_state(other, "Completed", T0 + 401 + i)
            others.append(other)
    return Seeded(path, "done0000aaaa", failed, live, tuple(others))
