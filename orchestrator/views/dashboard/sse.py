"""Live updates as Server-Sent Events, keyed by the store's row ids, and the same as plain JSON.

* ``StoreWatcher`` polls the store's ``data_version`` (a few microseconds)
  every ``interval`` seconds on the event loop, and wakes the open streams
  only when another process committed, so an idle dashboard costs nothing
  and a busy one queries once per interval per stream, however many commits
  happened meanwhile. Browsers are never polled: they hold one stream each.
* ``EventStream`` is the base of every live endpoint. It reads a cursor of
  row ids from ``Last-Event-ID`` (a browser reconnecting) or ``?after=``,
  asks the subclass for the events after it, and writes each with the
  cursor just past it as its SSE ``id``. A reconnect therefore resumes
  exactly after the last event the browser received: nothing twice, nothing
  missed. A request that does not accept ``text/event-stream`` gets the same
  events once, as JSON, with the cursor to ask after next (tests, scripts).
  Cursors are row ids joined by ``:``; ``-`` leaves a kind out.
"""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import tornado.iostream
import tornado.locks
import tornado.web
from tornado.ioloop import PeriodicCallback

from ...history.store import RunStore, open_store
from .api_common import ApiHandler
from .serialize import dumps

__all__ = ["Batch", "Cursor", "EventStream", "StoreWatcher", "format_cursor", "parse_cursor"]

#: Seconds between keep-alive comments on a quiet stream (lets either side notice a dead peer).
PING: Final = 15.0
#: Milliseconds the browser waits before reconnecting a dropped stream.
RETRY_MS: Final = 1_000

Cursor = tuple[int | None, ...]


def parse_cursor(text: str, kinds: int) -> Cursor:
    """``"12:-:7"`` as ``(12, None, 7)``; ``HTTPError(400)`` if malformed."""
    parts = text.split(":")
    try:
        if len(parts) != kinds:
            raise ValueError(text)
        return tuple(None if part == "-" else int(part) for part in parts)
    except ValueError:
        example = ":".join(["0"] * kinds)
        raise tornado.web.HTTPError(400, "bad cursor %r: expected %d row ids like %s", text, kinds, example) from None


def format_cursor(cursor: Cursor) -> str:
    return ":".join("-" if part is None else str(part) for part in cursor)


@dataclass
class Batch:
    """What a stream has to send now: ``(event name, data, cursor after it)``s.

    ``more``: more is waiting already, ask again at once. ``wake_in``: ask
    again after that many seconds even if the store did not change (an
    update that was held back to keep its cost down is due then).
    """

    events: list[tuple[str, Any, Cursor]]
    cursor: Cursor
    more: bool = False
    wake_in: float | None = None


class StoreWatcher:
    """Wakes the live streams when another process committed to the store; see the module docstring."""

    def __init__(self, path: str, interval: float = 0.2) -> None:
        # A store object of its own: data_version counts the commits of *other* connections.
        self._store: RunStore = open_store(path)
        self._marker = self._store.queries.data_version()
        self._interval = interval
        self._condition = tornado.locks.Condition()
        self._callback: PeriodicCallback | None = None
        self.version = 0
        self.closed = False

    def start(self) -> None:
        """Start polling; call on the event loop that serves the streams."""
        self._callback = PeriodicCallback(self._poll, self._interval * 1000)
        self._callback.start()

    def _poll(self) -> None:
        marker = self._store.queries.data_version()
        if marker != self._marker:
            self._marker = marker
            self.touch()

    def touch(self) -> None:
        """Wake every stream (also for the dashboard's own writes, which data_version does not count)."""
        self.version += 1
        self._condition.notify_all()

    async def wait(self, seen: int, timeout: float) -> int:
        """Wait until ``version`` differs from ``seen`` (or ``timeout`` seconds); the version then."""
        if self.version == seen and not self.closed:
            await self._condition.wait(timeout=datetime.timedelta(seconds=timeout))
        return self.version

    def close(self) -> None:
        self.closed = True
        if self._callback is not None:
            self._callback.stop()
        self._condition.notify_all()
        self._store.close()


class EventStream(ApiHandler):
    """Base of the live endpoints; subclasses give ``kinds``, ``start_cursor`` and ``batch``."""

    kinds = 1

    async def start_cursor(self) -> Cursor:
        """Where a request without a cursor starts (normally: now, so it gets only what comes next)."""
        raise NotImplementedError

    async def batch(self, cursor: Cursor) -> Batch:
        """The events after ``cursor``."""
        raise NotImplementedError

    async def setup(self, *args: str) -> None:
        """Read the path arguments and query filters before the first batch (may raise HTTPError)."""

    def on_connection_close(self) -> None:
        self._gone = True

    async def get(self, *args: str) -> None:
        self._gone = False
        await self.setup(*args)
        text = self.request.headers.get("Last-Event-ID") or self.get_query_argument("after", None)
        cursor = parse_cursor(text, self.kinds) if text else await self.start_cursor()
        if "text/event-stream" not in (self.request.headers.get("Accept") or ""):
            batch = await self.batch(cursor)
            events = [{"event": name, "id": format_cursor(after), "data": data} for name, data, after in batch.events]
            self.set_header("Content-Type", "application/json")
            self.finish(dumps({"events": events, "cursor": format_cursor(batch.cursor), "more": batch.more}))
            return
        await self._stream(cursor)

    async def _stream(self, cursor: Cursor) -> None:
        watcher: StoreWatcher = self.settings["watcher"]
        self.set_header("Content-Type", "text/event-stream; charset=utf-8")
        self.set_header("X-Accel-Buffering", "no")
        try:
            self.write(f"retry: {RETRY_MS}\n\n")
            await self.flush()
            while not self._gone and not watcher.closed:
                seen = watcher.version
                batch = await self.batch(cursor)
                cursor = batch.cursor
                if batch.events:
                    self.write("".join(_message(name, data, after) for name, data, after in batch.events))
                    await self.flush()
                if batch.more:
                    await asyncio.sleep(0)  # let other streams and requests in between big batches
                    continue
                timeout = PING if batch.wake_in is None else min(PING, max(batch.wake_in, 0.05))
                if await watcher.wait(seen, timeout) == seen and not watcher.closed and batch.wake_in is None:
                    self.write(": ping\n\n")
                    await self.flush()
        except tornado.iostream.StreamClosedError:
            return
        if not self._gone:
            self.finish()


def _message(name: str, data: Any, after: Sequence[int | None]) -> str:
    return f"id: {format_cursor(tuple(after))}\nevent: {name}\ndata: {dumps(data)}\n\n"
