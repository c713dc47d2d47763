"""Running events for task calls that are still running after a short delay.

The state layer's only routine event is the final one, which keeps the event
path at one entry per task (the performance budget). A task that runs for a
while must still show up as Running, live and in the store, so that a killed
driver leaves something to mark Crashed. So each process has one watchdog
thread: a call registers when it starts and unregisters when it ends, and a
call still registered ``delay`` seconds after it started gets one Running
event. Short tasks therefore cost a dict insert and pop, and no event.

Order per task run holds: the watchdog emits while holding the lock that
``end()`` takes, so a Running event is always sent before the final one.
``poll(now)`` is the whole decision and takes the time as a parameter, so it
is tested without a thread or a sleep.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from executors import events

__all__ = ["RUNNING_DELAY", "RUNNING_WATCH", "RunningWatch"]

#: Seconds a call runs before it is reported Running.
RUNNING_DELAY = 0.5


class _Call:
    __slots__ = ("attempt", "key", "name", "run_id", "sink", "start", "task")

    def __init__(
        self, key: str, task: str, name: str, run_id: str, sink: events.Sink, start: float, attempt: int
    ) -> None:
        self.key, self.task, self.name, self.run_id = key, task, name, run_id
        self.sink, self.start, self.attempt = sink, start, attempt


class RunningWatch:
    """Reports calls that outlive ``delay`` as Running; one per process (``RUNNING_WATCH``)."""

    def __init__(self, delay: float = RUNNING_DELAY) -> None:
        self.delay = delay
        self._calls: dict[str, _Call] = {}
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None

    def begin(
        self,
        key: str,
        task: str,
        name: str,
        run_id: str,
        sink: events.Sink,
        attempt: int = 1,
        start: float | None = None,
    ) -> None:
        """Watch one attempt of a call, started at ``start`` (default: now)."""
        call = _Call(key, task, name, run_id, sink, time.time() if start is None else start, attempt)
        with self._wake:
            self._calls[key] = call
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="daskflow-running-watch", daemon=True)
                self._thread.start()
            # No notify: waking the thread for every call cost short tasks a thread switch each
            # (benchmarks: wide DAG, LocalExecutor). It wakes by itself at least every ``delay``.

    def end(self, key: str) -> None:
        with self._wake:
            self._calls.pop(key, None)

    def poll(self, now: float) -> float | None:
        """Emit Running for every call due by ``now``; return seconds until the next is due (None: none left)."""
        with self._wake:
            return self._poll(now)

    def _poll(self, now: float) -> float | None:
        due = [c for c in self._calls.values() if now - c.start >= self.delay]
        for call in due:
            del self._calls[call.key]  # one Running event per attempt
            call.sink.emit(_running_event(call, now))
        if not self._calls:
            return None
        next_due = min(c.start for c in self._calls.values()) + self.delay - now
        return max(next_due, 0.01)

    def _loop(self) -> None:
        with self._wake:
            while True:
                # Checking and waiting under one lock hold means a begin() cannot slip in between.
                # Idle, it still wakes every ``delay``: a call begun meanwhile is due no earlier than
                # ``delay`` after it began, so the next wake-up is never late for it.
                due = self._poll(time.time())
                self._wake.wait(self.delay if due is None else due)


def _running_event(call: _Call, now: float) -> dict[str, Any]:
    return {
        "run": call.run_id,
        "key": call.key,
        "task": call.task,
        "name": call.name,
        "state": "Running",
        "ts": now,
        "start": call.start,
        "end": None,
        "attempt": call.attempt,
        "worker": call.sink.worker,
        "message": None,
        "error": None,
    }


RUNNING_WATCH = RunningWatch()
