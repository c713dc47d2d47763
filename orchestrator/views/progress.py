"""Live progress of a flow run: per-task-name counts, and a plain-text renderer.

``Progress`` counts task runs per task name from the engine's events: the
handler runs on Dask's event-loop thread, so it only bumps counters under a
lock. Totals come from the engine's task-run records, recounted only when
their number changes (at a flush). Running counts the task runs that reported
Running (the state layer does so for calls still going after half a second)
and have not finished yet.

Renderers read it: ``PlainDisplay`` here (one line every few seconds, no
escape codes, so logs and CI output stay readable), the ``rich`` table of
``daskflow run`` on a terminal (orchestrator.views.cli.progress) and the HTML
table in notebooks (orchestrator.views.notebook).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from ..records.states import FAILED_TYPES, TERMINAL_TYPES, StateType

if TYPE_CHECKING:
    from ..engine.run_engine import RunEngine

__all__ = ["PlainDisplay", "Progress", "Row", "totals"]

_FAILED = frozenset(s.value for s in FAILED_TYPES)
_TERMINAL = frozenset(s.value for s in TERMINAL_TYPES)
_STARTED = frozenset({StateType.RUNNING.value, StateType.RETRYING.value})


@dataclass(frozen=True)
class Row:
    """Progress of one task name: finished fine (done), running, failed, and how many there are."""

    task: str
    done: int
    running: int
    failed: int
    total: int


class Progress:
    """Per-task-name counts of one flow run; see the module docstring."""

    def __init__(self, engine: RunEngine) -> None:
        self.engine = engine
        self.started = time.monotonic()
        self._lock = threading.Lock()
        self._done: Counter[str] = Counter()
        self._failed: Counter[str] = Counter()
        self._running: dict[str, set[str]] = {}
        self._totals: Counter[str] = Counter()
        self._counted = -1
        self.changes = 0

    def on_event(self, event: Mapping[str, Any]) -> None:
        """An engine listener; cheap, never blocks."""
        if "kind" in event:
            return
        state, key = event["state"], event["key"]
        task = event.get("task") or key
        with self._lock:
            self.changes += 1
            if state in _STARTED:
                self._running.setdefault(task, set()).add(key)
            elif state in _TERMINAL:
                running = self._running.get(task)
                if running is not None:
                    running.discard(key)
                (self._failed if state in _FAILED else self._done)[task] += 1

    def settle(self) -> None:
        """Recount from the run's records once it ended: the states the driver decided itself
        (Cancelled, Crashed) never come as events."""
        snapshot = list(self.engine.run.task_runs.values())
        with self._lock:
            self._done, self._failed, self._running = Counter(), Counter(), {}
            for tr in snapshot:
                if tr.state in TERMINAL_TYPES:
                    (self._failed if tr.state in FAILED_TYPES else self._done)[tr.task] += 1
            self.changes += 1

    def touch(self) -> None:
        """Note a change that is not a state (a log line), so displays redraw."""
        with self._lock:
            self.changes += 1

    def rows(self) -> list[Row]:
        records = self.engine.run.task_runs
        if len(records) != self._counted:
            # Flushes add records on the main thread; a copy of the values is taken in one C call.
            snapshot = list(records.values())
            self._totals = Counter(tr.task for tr in snapshot)
            self._counted = len(snapshot)
        with self._lock:
            names = list(dict.fromkeys([*self._totals, *self._done, *self._failed]))
            return [
                Row(
                    name,
                    self._done[name],
                    len(self._running.get(name, ())),
                    self._failed[name],
                    max(self._totals[name], self._done[name] + self._failed[name]),
                )
                for name in names
            ]

    def elapsed(self) -> float:
        return time.monotonic() - self.started


def totals(rows: list[Row]) -> Row:
    return Row("all", *(sum(getattr(r, f) for r in rows) for f in ("done", "running", "failed", "total")))


class PlainDisplay:
    """One line of progress every ``every`` seconds while anything changed; no escape codes."""

    def __init__(self, progress: Progress, out: TextIO = sys.stdout, every: float = 2.0) -> None:
        self.progress, self.out, self.every = progress, out, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="daskflow-progress", daemon=True)
        self._seen = -1

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5.0)
        self.progress.settle()
        self._line()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self._line()

    def _line(self) -> None:
        if self.progress.changes == self._seen:
            return
        self._seen = self.progress.changes
        rows = self.progress.rows()
        if not rows:
            return
        all_ = totals(rows)
        parts = [f"{r.task} {r.done + r.failed}/{r.total}" + _extra(r) for r in rows[:8]]
        more = f" +{len(rows) - 8} more" if len(rows) > 8 else ""
        head = f"[{self.progress.elapsed():7.1f}s] {all_.done + all_.failed}/{all_.total} finished{_extra(all_)}"
        print(f"{head} | {', '.join(parts)}{more}", file=self.out, flush=True)


def _extra(row: Row) -> str:
    bits = [f"{row.running} running"] if row.running else []
    if row.failed:
        bits.append(f"{row.failed} failed")
    return f" ({', '.join(bits)})" if bits else ""
