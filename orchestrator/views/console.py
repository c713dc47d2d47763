"""Run logs on the driver's console while a run goes, from every worker, in batches.

``console_logs(engine, progress)`` wraps every top-level flow run (the package
root installs it as a run display, orchestrator.engine.observers) unless the
engine was told not to (``DASKFLOW_LOGGING_CONSOLE=0``, read at run start).
It listens to the run's events: log records arrive in the same batched events
as task states, from remote workers too, already filtered by the run's level.

Listeners run on Dask's event-loop thread, so ``on_event`` only appends to a
list. A background thread takes what piled up every ``EVERY`` seconds,
formats it and writes it to ``sys.stderr`` in one write, so 10,000 records
cost a few hundred writes, not 10,000, and the event loop never waits on a
terminal. When the run ends, the rest is written before the call returns.
Lines look like Prefect's::

    14:03:07.512 | INFO    | Task run 'square[2]' - squaring 2
    14:03:07.530 | INFO    | Flow run 'squares-5f1c0e2a9b7d' - done

``sys.stderr`` is looked up at each write, so ``rich``'s live display (which
wraps it) and Jupyter's streams show the lines in the right place.
"""

from __future__ import annotations

import contextlib
import contextvars
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from ..engine.run_engine import RunEngine

__all__ = ["EVERY", "ConsoleLogs", "console_logs", "format_record"]

#: Seconds between two writes at most: soon enough to read as live, rare enough to cost nothing.
EVERY: Final = 0.1


def format_record(record: Mapping[str, Any], flow_run: str) -> str:
    """One record as a console line: time, level, the task run (or flow run) it belongs to, message."""
    ts = float(record.get("ts") or 0.0)
    clock = time.strftime("%H:%M:%S", time.localtime(ts))
    who = f"Task run {record['name']!r}" if record.get("name") else f"Flow run {flow_run!r}"
    return (
        f"{clock}.{int(ts % 1 * 1000):03d} | {record.get('level', 'INFO')!s:<7} | {who} - {record.get('message', '')}"
    )


class ConsoleLogs:
    """Collects one run's log records and writes them in batches; see the module docstring."""

    def __init__(self, flow_run: str, every: float = EVERY) -> None:
        self.flow_run = flow_run
        self.every = every
        self._pending: list[Mapping[str, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def on_event(self, event: Mapping[str, Any]) -> None:
        """An engine listener; cheap, never blocks."""
        if event.get("kind") == "logs":
            records = event.get("records") or ()
            with self._lock:
                self._pending.extend(records)

    def start(self) -> None:
        # Jupyter routes a thread's output by the context it runs in: write from a copy of ours.
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._loop,), name="daskflow-console", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Write what is left; the run has ended."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self.write_pending()

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.write_pending()

    def write_pending(self) -> None:
        with self._lock:
            records, self._pending = self._pending, []
        if not records:
            return
        text = "".join(format_record(r, self.flow_run) + "\n" for r in records)
        stream = sys.stderr
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream must not break the run
            stream.write(text)
            stream.flush()


@contextlib.contextmanager
def console_logs(engine: RunEngine, progress: bool | None) -> Iterator[None]:
    """Show ``engine``'s run logs on the console while the block runs (unless the engine says not to)."""
    if not engine.console:
        yield
        return
    console = ConsoleLogs(engine.run.name)
    engine.listeners.append(console.on_event)
    console.start()
    try:
        yield
    finally:
        console.stop()
