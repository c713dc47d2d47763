"""The single source of time for the state layer, so tests can replace it.

Retry delays, timestamps and heartbeats all read ``now()`` and wait with
``sleep()``; tests pass a ``FakeClock`` instead of sleeping for real.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["Clock", "FakeClock", "SystemClock", "SYSTEM_CLOCK"]


class Clock(Protocol):
    """Reads the time and waits; ``sleep`` blocks the calling thread without spinning."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time; ``sleep`` parks the thread (no busy-wait)."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to: ``sleep`` advances it and records the wait."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


SYSTEM_CLOCK = SystemClock()
