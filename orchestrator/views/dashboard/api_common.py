"""What every API handler shares: store reads, JSON answers, the run a path names, filters from a query.

Filters arrive as query arguments, the same for a page's first load and its
live stream: runs by ``flow``, ``state`` (repeated or comma-separated),
``since`` / ``until`` (epoch seconds, or ISO 8601; a time without an offset
is this machine's local time) and ``param=NAME=VALUE`` (repeated); logs by
``level`` (repeated or comma-separated), ``task`` and ``q`` (a substring).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import tornado.web

from ...history.store import (
    STATES,
    AmbiguousRunIdError,
    FlowRunRow,
    LogFilter,
    RunFilter,
    StoreError,
)
from .reader import StoreReader
from .run_cache import RunCache
from .security import GuardedHandler
from .serialize import dumps

__all__ = ["ApiHandler", "log_filter", "run_filter"]


class ApiHandler(GuardedHandler):
    """A handler that reads the store off the event loop and answers JSON."""

    @property
    def reader(self) -> StoreReader:
        return self.settings["reader"]  # type: ignore[no-any-return]

    @property
    def cache(self) -> RunCache:
        return self.settings["cache"]  # type: ignore[no-any-return]

    def send_json(self, data: Any) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.send(dumps(data))

    def send(self, body: str | bytes) -> None:
        """Finish with ``body``, saying in ``Server-Timing`` how long the server took (benchmarks read it)."""
        self.set_header("Server-Timing", f"app;dur={self.request.request_time() * 1000:.1f}")
        self.finish(body)

    async def read(self, fn: Any) -> Any:
        """``fn(store)`` on a reader thread; a ``StoreError`` (a bad cursor, a locked file) is a 400."""
        try:
            return await self.reader(fn)
        except AmbiguousRunIdError as exc:
            raise tornado.web.HTTPError(400, "%s", str(exc)) from None
        except StoreError as exc:
            raise tornado.web.HTTPError(400, "%s", str(exc)) from None

    async def flow_run(self, run_id: str) -> FlowRunRow:
        """The run ``run_id`` names (a unique prefix works too); 404 if none."""
        row: FlowRunRow | None = await self.read(lambda store: store.get_flow_run(run_id))
        if row is None:
            raise tornado.web.HTTPError(404, "no flow run %r in the run store", run_id)
        return row

    def list_argument(self, name: str) -> tuple[str, ...]:
        """Every value of a repeated or comma-separated query argument, empty ones dropped."""
        values = [part.strip() for raw in self.get_query_arguments(name) for part in raw.split(",")]
        return tuple(v for v in values if v)

    def int_argument(self, name: str, default: int, low: int = 0, high: int = 1_000_000_000) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise tornado.web.HTTPError(400, "%s must be a whole number, got %r", name, raw) from None
        return min(max(value, low), high)


def _time(handler: ApiHandler, name: str) -> float | None:
    raw = handler.get_query_argument(name, None)
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise tornado.web.HTTPError(400, "%s=%r is neither epoch seconds nor an ISO 8601 time", name, raw) from None
    if moment.tzinfo is None:
        return time.mktime(moment.timetuple()) + moment.microsecond / 1e6
    return moment.timestamp()


def run_filter(handler: ApiHandler) -> RunFilter:
    """The run list filter a request's query asks for; 400 for a bad one."""
    states = handler.list_argument("state")
    unknown = sorted(set(states) - STATES)
    if unknown:
        raise tornado.web.HTTPError(400, "unknown state(s) %s; use %s", ", ".join(unknown), ", ".join(sorted(STATES)))
    params: list[tuple[str, str]] = []
    for item in handler.get_query_arguments("param"):
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise tornado.web.HTTPError(400, "bad param filter %r: expected NAME=VALUE, like day=2026-11-21", item)
        params.append((name.strip(), value))
    flow = handler.get_query_argument("flow", None) or None
    return RunFilter(flow, states, _time(handler, "since"), _time(handler, "until"), tuple(params))


def log_filter(handler: ApiHandler) -> LogFilter:
    """The log filter a request's query asks for."""
    levels = tuple(level.upper() for level in handler.list_argument("level"))
    task = handler.get_query_argument("task", None) or None
    search = handler.get_query_argument("q", None) or None
    return LogFilter(levels, task, search)
