"""The JSON shapes the dashboard's API answers with, and the links it is willing to hand a page.

Rows that come by the thousand (task runs in a live update, log lines) are
arrays in a fixed field order, named once in ``TASK_FIELDS`` and
``LOG_FIELDS`` (the page reads them by position); one-off records are
objects. Times are epoch seconds, as stored.

Links are the one place where run data could become something a browser
acts on, so ``safe_link`` passes only ``http``/``https`` URLs with a host:
a Dask dashboard link from the store of ``javascript:...`` becomes no link
at all. Links into Dask's dashboard (``/info/task/<key>.html``,
``/info/worker/<address>.html``) are built from its recorded base with every
path piece percent-encoded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final
from urllib.parse import quote, urlsplit

from ...history.store import ErrorGroup, FlowRunRow, LogLine, RunInfo, TaskColumns, TaskRunRow, TransitionRow

__all__ = [
    "LOG_FIELDS",
    "TASK_FIELDS",
    "dask_base",
    "dask_task_link",
    "dask_worker_link",
    "dumps",
    "error_group_json",
    "flow_run_json",
    "log_rows",
    "run_info_json",
    "safe_link",
    "task_rows",
    "task_run_json",
    "transition_json",
]

TASK_FIELDS: Final = ("id", "key", "task", "name", "state", "start", "end", "attempt", "worker")
LOG_FIELDS: Final = ("id", "ts", "level", "key", "name", "message")


def dumps(data: Any) -> str:
    """Compact JSON; NaN is never valid JSON, so missing numbers must be None by here."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def safe_link(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL with a host, else None."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return parts.geturl()


def dask_base(dashboard: str | None) -> str | None:
    """The root of a Dask dashboard from its recorded link (``http://host:8787/status`` -> ``http://host:8787``)."""
    link = safe_link(dashboard)
    if link is None:
        return None
    link = link.rstrip("/")
    return link[: -len("/status")] if link.endswith("/status") else link


def dask_task_link(dashboard: str | None, key: str) -> str | None:
    base = dask_base(dashboard)
    return None if base is None else f"{base}/info/task/{quote(key, safe='')}.html"


def dask_worker_link(dashboard: str | None, worker: str | None) -> str | None:
    base = dask_base(dashboard)
    return None if base is None or not worker else f"{base}/info/worker/{quote(worker, safe='')}.html"


def flow_run_json(row: FlowRunRow) -> dict[str, Any]:
    return {
        "id": row.run_id,
        "flow": row.flow_name,
        "state": row.state,
        "parameters": row.parameters,
        "started": row.started,
        "ended": row.ended,
        "heartbeat": row.heartbeat,
        "message": row.message,
        "host": row.host,
        "pid": row.pid,
    }


def run_info_json(info: RunInfo | None) -> dict[str, Any]:
    if info is None:
        return {"scheduler": None, "dashboard": None, "executor": None, "entrypoint": None}
    return {
        "scheduler": info.scheduler,
        "dashboard": safe_link(info.dashboard),
        "executor": info.executor,
        "entrypoint": info.entrypoint,
    }


def task_rows(columns: TaskColumns) -> list[list[Any]]:
    """Task runs as arrays in ``TASK_FIELDS`` order."""
    return [
        list(row)
        for row in zip(
            columns.ids,
            columns.keys,
            columns.tasks,
            columns.names,
            columns.states,
            columns.starts,
            columns.ends,
            columns.attempts,
            columns.workers,
        )
    ]


def log_rows(lines: Sequence[LogLine]) -> list[list[Any]]:
    """Log lines as arrays in ``LOG_FIELDS`` order."""
    return [[line.id, line.ts, line.level, line.key, line.name, line.message] for line in lines]


def task_run_json(row: TaskRunRow, dashboard: str | None) -> dict[str, Any]:
    return {
        "key": row.key,
        "task": row.task,
        "name": row.name,
        "state": row.state,
        "start": row.start,
        "end": row.end,
        "attempt": row.attempt,
        "worker": row.worker,
        "message": row.message,
        "error_type": row.error_type,
        "error_message": row.error_message,
        "traceback": row.traceback,
        "dask_task": dask_task_link(dashboard, row.key),
        "dask_worker": dask_worker_link(dashboard, row.worker),
    }


def transition_json(row: TransitionRow) -> dict[str, Any]:
    return {
        "state": row.state,
        "ts": row.ts,
        "attempt": row.attempt,
        "worker": row.worker,
        "message": row.message,
        "error_type": row.error_type,
        "error_message": row.error_message,
        "traceback": row.traceback,
    }


def error_group_json(group: ErrorGroup) -> dict[str, Any]:
    return {
        "task": group.task,
        "error_type": group.error_type,
        "shape": group.shape,
        "message": group.message,
        "count": group.count,
        "messages": group.messages,
        "states": list(group.states),
        "first_key": group.first_key,
        "first_name": group.first_name,
        "first_ts": group.first_ts,
        "last_ts": group.last_ts,
    }
