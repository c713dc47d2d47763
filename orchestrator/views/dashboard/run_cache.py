"""``RunCache``: what the dashboard computed for a run, kept while the run's store rows stay the same.

A 100k-task run's columns take a few hundred milliseconds to read, and its
critical path and folded graph seconds to compute; a finished run never
changes, and a live one changes only as its transitions come. So each is
kept with the version it was computed at (the run's last task transition
id, and how many graph flushes it has), and reused until that moves. The
few most recent runs are kept (``SIZE``). A second reader asking for what
is being computed waits for it rather than computing it again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, TypeVar

from ...history.store import FlowRunRow, RunStore, TaskColumns
from ..bench_stats import critical_path
from .columns import encode
from .graph_view import graph_json
from .summaries import critical_json, state_counts, task_strip, timings

__all__ = ["RunCache"]

SIZE: Final = 4
T = TypeVar("T")


class RunCache:
    """Columns, summaries, critical paths and graphs of recent runs, by version; thread-safe."""

    def __init__(self, size: int = SIZE) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[str, str], tuple[tuple[int, int], Any]] = OrderedDict()
        self._flights: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()

    def _get(self, store: RunStore, run_id: str, what: str, compute: Callable[[], T], graph: bool = False) -> T:
        queries = store.queries
        version = (queries.last_task_transition(run_id), queries.graph_flushes(run_id) if graph else 0)
        key = (run_id, what)
        # One computation per key at a time: a page asks for the columns and the summary at once,
        # and both need the columns; the second waits for the first instead of reading them too.
        with self._lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                found = self._entries.get(key)
                if found is not None and found[0] == version:
                    self._entries.move_to_end(key)
                    return found[1]  # type: ignore[no-any-return]
            value = compute()
            with self._lock:
                self._entries[key] = (version, value)
                self._entries.move_to_end(key)
                while len(self._entries) > self._size * 5:  # five kinds of entry per run
                    old, _ = self._entries.popitem(last=False)
                    self._flights.pop(old, None)
        return value

    def columns(self, store: RunStore, run_id: str) -> TaskColumns:
        return self._get(store, run_id, "columns", lambda: store.queries.task_columns(run_id))

    def encoded(self, store: RunStore, run_id: str, t0: float) -> bytes:
        """The columns in the binary form the timeline loads (``columns.encode``), times after ``t0``."""
        return self._get(store, run_id, "encoded", lambda: encode(self.columns(store, run_id), t0))

    def summary(self, store: RunStore, run_id: str) -> dict[str, Any]:
        """The strip per task name and the counts per state."""

        def compute() -> dict[str, Any]:
            columns = self.columns(store, run_id)
            totals = store.queries.graph_totals(run_id)
            return {
                "strip": task_strip(columns, totals),
                "states": state_counts(columns, totals),
                "task_runs": len(columns),
                "nodes": sum(totals.values()),
            }

        return self._get(store, run_id, "summary", compute, graph=True)

    def critical(self, store: RunStore, row: FlowRunRow) -> dict[str, Any]:
        """The run's critical path so far (``bench_stats.critical_path`` over the stored graph)."""

        def compute() -> dict[str, Any]:
            columns = self.columns(store, row.run_id)
            graph = store.queries.graph(row.run_id)
            return critical_json(critical_path(timings(row, columns, graph, time.time())), columns)

        return self._get(store, row.run_id, "critical", compute, graph=True)

    def graph(self, store: RunStore, run_id: str) -> dict[str, Any]:
        """The graph panel's boxes and edges (``graph_view``)."""
        return self._get(
            store, run_id, "graph", lambda: graph_json(store.queries.graph(run_id), self.columns(store, run_id)), True
        )
