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
    last = s + 1 + slow * 3  # load starts when the slowest clean ends
    events.append(task_event(run, "load-4", "Completed", last + 1, start=last, end=last + 1, worker=WORKERS[1]))
    store.record_task_events(events)
    logs = [
        {"run": run, "key": "clean-1", "name": "clean[1]", "level": "INFO", "ts": s + 1.2, "message": "cleaning 1"},
        {"run": run, "key": "clean-2", "name": "clean[2]", "level": "WARNING", "ts": s + 1.3, "message": "odd row"},
        {
            "run": run,
            "key": "load-4",
            "name": "load",
            "level": "ERROR",
            "ts": last + 0.5,
            "message": "disk nearly full",
        },
        {"run": run, "key": None, "name": None, "level": "INFO", "ts": last + 1, "message": "flow done"},
    ]
    store.record_logs(logs)
    store.set_flow_run_state(run, "Completed", last + 1)


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


#: What each XSS payload would do if it ever ran: retitle the page.
PWNED = "document.title='pwned'"
XSS_SCRIPT = f"<script>{PWNED}</script>"
XSS_IMG = f'<img src=x onerror="{PWNED}">'
XSS_URL = f"javascript:{PWNED}"


def seed_browser(path: Path) -> dict[str, str]:
    """For the browser tests, on top of ``seed``: a run full of XSS payloads, 55 more runs, 5,000 log lines."""
    with SQLiteStore(path) as store:
        xss = "xss0000fffff"
        store.create_flow_run(xss, XSS_SCRIPT, {"html": XSS_IMG, "link": XSS_URL, XSS_IMG: 1}, T0 + 600)
        store.set_flow_run_info(xss, {"dashboard": XSS_URL, "executor": XSS_IMG, "entrypoint": XSS_SCRIPT})
        store.record_graph(xss, [("evil-0", XSS_IMG, XSS_IMG, ())])
        store.record_task_events(
            [
                {"run": xss, "key": "evil-0", "task": XSS_IMG, "name": XSS_IMG, "state": "Failed", "ts": T0 + 601,
                 "start": T0 + 600, "end": T0 + 601, "worker": XSS_URL,
                 "error": {"type": "ValueError", "message": XSS_SCRIPT, "traceback": f"Traceback: {XSS_IMG}\n"}}
            ]
        )  # fmt: skip
        store.record_logs(
            [
                {"run": xss, "key": "evil-0", "name": XSS_IMG, "level": "ERROR", "ts": T0 + 600.5, "message": XSS_IMG},
                {"run": xss, "key": None, "name": None, "level": "INFO", "ts": T0 + 600.6, "message": XSS_URL},
            ]
        )
        store.set_flow_run_state(xss, "Failed", T0 + 601, XSS_SCRIPT)
        for i in range(55):
            bulk = f"bulk000{i:05d}"
            store.create_flow_run(bulk, "bulk", {"i": i}, T0 - 1000 + i)
            store.set_flow_run_state(bulk, "Completed", T0 - 999 + i)
        chatty = "chat0000gggg"
        store.create_flow_run(chatty, "chatty", {}, T0 + 700)
        store.record_task_events([task_event(chatty, "talk-0", "Completed", T0 + 760, start=T0 + 700, end=T0 + 760)])
        store.record_logs(
            [
                {"run": chatty, "key": "talk-0", "name": "talk[0]", "ts": T0 + 700 + i / 100,
                 "level": "ERROR" if i == 3210 else "INFO",
                 "message": "the flux capacitor overheated" if i == 3210 else f"line {i} of the chatter"}
                for i in range(5_000)
            ]
        )  # fmt: skip
        store.set_flow_run_state(chatty, "Completed", T0 + 760)
    return {"xss": xss, "chatty": chatty}
