"""Tag concurrency slots: who holds and who waits (``SlotTable``), and how a running task takes its slots.

A task tagged ``db`` under a limit of 2 may run only while fewer than 2 others
hold a ``db`` slot. The limits are plain data here (tag -> slots), carried by
each request, so the table holds no configuration that could go stale: a
request is granted when every one of its tags has fewer holders than the
request's own limit for it. Tags are Dask annotations already, so this is a
Dask-level concern and knows nothing of flows.

* ``SlotTable`` is the whole policy, pure and tested without a cluster. A
  request takes all its tags at once or none. Waiters are served first come,
  first served per tag: a request is never granted past an earlier waiter
  that wants one of its tags, so nobody starves. ``drop`` removes holders and
  waiters (a task that left processing, a removed worker) and grants what
  that frees.
* ``limiter_for(topic)`` is what the state layer calls before user code: the
  in-process ``LocalLimiter`` for local executors (one table per process,
  shared by every run in it), or on a Dask worker the limiter of
  ``executors.slots_plugin``, which asks the scheduler plugin that owns the
  cluster's table.
* A ``Lease`` is released when the attempt ends; on Dask the scheduler also
  frees it when the task leaves processing or its worker goes, so a crash
  cannot leak a slot.
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from . import events
from .errors import ExecutorError

__all__ = [
    "Lease",
    "Limiter",
    "LocalLimiter",
    "SlotRequest",
    "SlotTable",
    "SlotWaitAbandoned",
    "SlotsUnavailable",
    "limiter_for",
]


class SlotsUnavailable(ExecutorError):
    """Raised when a task cannot ask for its concurrency slots: the scheduler (or its plugin) is gone.

    The task ends Crashed; run the flow again once the cluster is back.
    """


class SlotWaitAbandoned(BaseException):
    """Raised in a task waiting for a slot when nothing wants it any more (its run was cancelled, or the
    scheduler released it). A ``BaseException``, like an interrupt, so it ends the task without a state."""


class SlotRequest:
    """One task attempt asking for slots: its holder id, tag limits and what ``ls`` shows of it."""

    __slots__ = ("holder", "info", "limits")

    def __init__(self, holder: str, limits: Mapping[str, int], info: Mapping[str, Any]) -> None:
        self.holder = holder
        self.limits = dict(limits)
        self.info = dict(info)


class SlotTable:
    """Holders and waiters of tag slots; see the module docstring. Not thread-safe: callers lock."""

    def __init__(self) -> None:
        self._held: dict[str, dict[str, SlotRequest]] = {}
        self._granted: dict[str, SlotRequest] = {}
        #: In arrival order (dicts keep insertion order).
        self._waiting: dict[str, SlotRequest] = {}
        #: The latest limit requested per tag, for ``snapshot``.
        self._limits: dict[str, int] = {}

    def request(self, request: SlotRequest) -> bool:
        """Grant ``request`` now if it may go, else queue it (again: asking twice keeps its place)."""
        holder = request.holder
        if holder in self._granted:
            return True
        self._limits.update(request.limits)
        if holder not in self._waiting:
            blocked = {tag for waiter in self._waiting.values() for tag in waiter.limits}
            if not blocked.intersection(request.limits) and self._fits(request):
                self._grant(request)
                return True
            self._waiting[holder] = request
        self._serve()
        return holder in self._granted

    def status(self, holder: str) -> str:
        """``"granted"``, ``"waiting"`` or ``"gone"`` (released, dropped, or never asked)."""
        if holder in self._granted:
            return "granted"
        return "waiting" if holder in self._waiting else "gone"

    def release(self, holder: str) -> tuple[list[str], list[SlotRequest]]:
        """Free a holder's slots (or take it off the queue); see ``drop``."""
        return self.drop(lambda r: r.holder == holder)

    def drop(self, match: Callable[[SlotRequest], bool]) -> tuple[list[str], list[SlotRequest]]:
        """Remove every holder and waiter ``match`` accepts: their holder ids, and the waiters this grants."""
        removed: list[str] = []
        for holder, request in list(self._granted.items()):
            if match(request):
                removed.append(holder)
                del self._granted[holder]
                for tag in request.limits:
                    holders = self._held.get(tag)
                    if holders is not None:
                        holders.pop(holder, None)
                        if not holders:
                            del self._held[tag]
        for holder, request in list(self._waiting.items()):
            if match(request):
                removed.append(holder)
                del self._waiting[holder]
        return removed, self._serve()

    def clear(self) -> None:
        """Forget everything (the cluster restarted: no task of before is running)."""
        self._held.clear()
        self._granted.clear()
        self._waiting.clear()
        self._limits.clear()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Per tag: its latest limit, the holders' info and the waiters' info (for ``concurrency ls``)."""
        tags = sorted({*self._held, *(t for w in self._waiting.values() for t in w.limits)})
        return {
            tag: {
                "limit": self._limits.get(tag),
                "holders": [dict(r.info) for r in self._held.get(tag, {}).values()],
                "waiting": [dict(r.info) for r in self._waiting.values() if tag in r.limits],
            }
            for tag in tags
        }

    def _fits(self, request: SlotRequest) -> bool:
        return all(len(self._held.get(tag, ())) < limit for tag, limit in request.limits.items())

    def _grant(self, request: SlotRequest) -> None:
        self._granted[request.holder] = request
        for tag in request.limits:
            self._held.setdefault(tag, {})[request.holder] = request

    def _serve(self) -> list[SlotRequest]:
        """Grant waiters in arrival order, never past an earlier waiter that wants one of the same tags."""
        granted: list[SlotRequest] = []
        blocked: set[str] = set()
        for holder, request in list(self._waiting.items()):
            if not blocked.intersection(request.limits) and self._fits(request):
                del self._waiting[holder]
                self._grant(request)
                granted.append(request)
            else:
                blocked.update(request.limits)
        return granted


class Lease(Protocol):
    """Slots held by one task attempt; ``release`` may be called more than once."""

    def release(self) -> None: ...


class Limiter(Protocol):
    """What the state layer asks for slots: blocks until all of ``limits``' tags are held, then a ``Lease``.

    ``on_wait()`` is called once if the request has to wait; ``cancelled()``
    is polled meanwhile, and when it turns True ``SlotWaitAbandoned`` is
    raised. ``holder`` describes the attempt (run, key, name, attempt).
    Raises ``SlotsUnavailable`` when nothing can grant slots.
    """

    def acquire(
        self,
        limits: Mapping[str, int],
        holder: Mapping[str, Any],
        on_wait: Callable[[], None],
        cancelled: Callable[[], bool],
    ) -> Lease: ...


#: How often a waiting task checks whether its run was cancelled.
POLL = 0.5


class _LocalLease:
    __slots__ = ("_holder", "_limiter")

    def __init__(self, limiter: LocalLimiter, holder: str) -> None:
        self._limiter, self._holder = limiter, holder

    def release(self) -> None:
        self._limiter._release(self._holder)


class LocalLimiter:
    """Slots for tasks that run in this process (``LocalExecutor``): one table, shared by all its runs."""

    def __init__(self) -> None:
        self.table = SlotTable()
        self._changed = threading.Condition(threading.Lock())

    def acquire(
        self,
        limits: Mapping[str, int],
        holder: Mapping[str, Any],
        on_wait: Callable[[], None],
        cancelled: Callable[[], bool],
    ) -> Lease:
        request = SlotRequest(uuid.uuid4().hex, limits, {**holder, "worker": None, "since": time.time()})
        with self._changed:
            granted = self.table.request(request)
        if not granted:
            on_wait()
            try:
                with self._changed:
                    while self.table.status(request.holder) != "granted":
                        if cancelled():
                            raise SlotWaitAbandoned()
                        self._changed.wait(POLL)
            except BaseException:  # abandoned, or Ctrl-C in a synchronous run: leave the queue
                self._release(request.holder)
                raise
        return _LocalLease(self, request.holder)

    def _release(self, holder: str) -> None:
        with self._changed:
            self.table.release(holder)
            self._changed.notify_all()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._changed:
            return self.table.snapshot()


LOCAL_LIMITER = LocalLimiter()


def limiter_for(topic: str) -> Limiter:
    """The limiter for a task emitting on ``topic``: in-process for local executors, else the Dask worker's."""
    if events.is_local(topic) or "distributed" not in sys.modules:
        return LOCAL_LIMITER
    from .slots_plugin import worker_limiter

    return worker_limiter() or LOCAL_LIMITER
