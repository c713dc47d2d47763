"""One run's API: header, column data, summary, critical path, graph, one task run, errors, compare.

``GET /api/runs/ID`` is the header (state, times, parameters, driver, where
it ran, which actions are possible, and its results: how many task runs
persisted a result, hit the cache, or reused one from the run it resumed). ``/columns`` is every task run in the
compact binary form of ``columns`` (what the timeline draws), with the task
transition id it reflects; the run's live stream (``streams.RunStream``)
continues from there. ``/summary`` is the per-task-name strip and the
counts per state, ``/critical`` the critical path, ``/graph`` the compiled
graph laid out (``graph_view``), ``/task?key=K`` (or ``?row=ID``) one task
run with its attempts, error and logs, ``/errors`` the failures grouped.
``GET /api/compare?runs=A,B`` puts runs side by side (``summaries.compare``).
What takes long on a big run comes from the app's ``run_cache.RunCache``.
"""

from __future__ import annotations

import time
from typing import Any, Final

import tornado.web

from ...history.store import FlowRunRow, LogFilter, RunStore
from .actions import possible_actions
from .api_common import ApiHandler
from .serialize import (
    error_group_json,
    flow_run_json,
    log_rows,
    run_info_json,
    task_run_json,
    transition_json,
)
from .summaries import compare, timings

__all__ = [
    "ColumnsHandler",
    "CompareHandler",
    "CriticalHandler",
    "ErrorsHandler",
    "GraphHandler",
    "RunHandler",
    "SummaryHandler",
    "TaskHandler",
    "run_header",
]

#: Log lines a task run's view includes at most (the logs page has the rest).
TASK_LOG_LINES: Final = 1_000
#: Runs a compare page takes at most.
COMPARE_MAX: Final = 8


def run_header(store: RunStore, row: FlowRunRow, read_only: bool) -> dict[str, Any]:
    """The header of a run page (also the stream's ``run`` event)."""
    info = store.queries.run_info(row.run_id)
    origin = store.results.origin(row.run_id)
    return {
        "run": flow_run_json(row),
        "info": run_info_json(info),
        "now": time.time(),
        "actions": possible_actions(row, info, read_only),
        # Cache hits and reused results counted apart from the task runs that computed theirs.
        "results": store.results.hit_counts(row.run_id),
        "resumed_from": origin.resumed_from if origin is not None else None,
    }


class RunHandler(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        read_only = self.security.read_only

        self.send_json(await self.read(lambda store: run_header(store, row, read_only)))


class ColumnsHandler(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)

        cache = self.cache
        body: bytes = await self.read(lambda store: cache.encoded(store, row.run_id, row.started))
        self.set_header("Content-Type", "application/octet-stream")
        self.send(body)


class SummaryHandler(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        cache = self.cache
        self.send_json(await self.read(lambda store: cache.summary(store, row.run_id)))


class CriticalHandler(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        cache = self.cache
        self.send_json(await self.read(lambda store: cache.critical(store, row)))


class GraphHandler(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)

        cache = self.cache
        self.send_json(await self.read(lambda store: cache.graph(store, row.run_id)))


class TaskHandler(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        key = self.get_query_argument("key", None)
        row_id = self.int_argument("row", -1, -1)
        if key is None and row_id < 0:
            raise tornado.web.HTTPError(400, "say which task run: ?key=KEY or ?row=ID")

        def work(store: RunStore) -> dict[str, Any] | None:
            queries = store.queries
            found = key if key is not None else queries.task_key(row.run_id, row_id)
            task = queries.task_run(row.run_id, found) if found is not None else None
            if task is None:
                return None
            info = queries.run_info(row.run_id)
            only = LogFilter(task=task.key)
            return {
                "task": task_run_json(task, info.dashboard if info is not None else None),
                "transitions": [transition_json(t) for t in queries.task_transitions(row.run_id, task.key)],
                "logs": log_rows(queries.log_page(row.run_id, only, 0, TASK_LOG_LINES)),
                "log_count": queries.count_logs(row.run_id, only),
            }

        found = await self.read(work)
        if found is None:
            raise tornado.web.HTTPError(404, "flow run %s has no task run %r", row.run_id, key or row_id)
        self.send_json(found)


class ErrorsHandler(ApiHandler):
    async def get(self, run_id: str) -> None:
        row = await self.flow_run(run_id)
        groups = await self.read(lambda store: store.queries.error_groups(row.run_id))
        self.send_json({"groups": [error_group_json(g) for g in groups], "failed": sum(g.count for g in groups)})


class CompareHandler(ApiHandler):
    async def get(self) -> None:
        ids = list(dict.fromkeys(self.list_argument("runs")))
        if not 2 <= len(ids) <= COMPARE_MAX:
            raise tornado.web.HTTPError(400, "compare takes 2 to %d run ids: ?runs=ID,ID", COMPARE_MAX)
        rows = [await self.flow_run(run_id) for run_id in ids]

        cache = self.cache

        def work(store: RunStore) -> dict[str, Any]:
            now = time.time()
            runs = [timings(r, cache.columns(store, r.run_id), store.queries.graph(r.run_id), now) for r in rows]
            result = compare(runs)
            for entry, r in zip(result["runs"], rows):
                entry.update(flow=r.flow_name, started=r.started, parameters=r.parameters)
            return result

        self.send_json(await self.read(work))
