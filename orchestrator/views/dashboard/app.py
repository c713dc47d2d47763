"""The dashboard server: its routes, and ``Dashboard``, which binds, serves and stops it.

``Dashboard(store_path, host, port, read_only)`` binds at once (``port=0``
picks a free port; ``url`` then says which) and needs a running asyncio
event loop only for ``start()``. While it serves, it advertises itself in
``$DASKFLOW_HOME/dashboards/`` (``discovery``), marks runs whose driver died
Crashed every ``REAP_EVERY`` seconds (what every daskflow process does when
it opens the store), and wakes its live streams when the store changes
(``sse.StoreWatcher``). ``close()`` ends the streams, stops listening,
withdraws the advert and closes the store.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path
from typing import Any, Final

import tornado.httpserver
import tornado.netutil
import tornado.web
from tornado.ioloop import IOLoop, PeriodicCallback

from ...history.recorder import heartbeat_grace
from .actions import CancelHandler, RerunHandler
from .api_logs import FirstErrorHandler, LogsDownload, LogsHandler
from .api_run import (
    ColumnsHandler,
    CompareHandler,
    CriticalHandler,
    ErrorsHandler,
    GraphHandler,
    RunHandler,
    SummaryHandler,
    TaskHandler,
)
from .api_runs import RunsHandler, RunsStream
from .discovery import advertise, withdraw
from .pages import STATIC, NotFoundHandler, SessionHandler, ShellHandler, StaticHandler
from .reader import StoreReader
from .run_cache import RunCache
from .security import Security, allowed_hosts
from .sse import StoreWatcher
from .streams import RunStream

__all__ = ["LOOPBACK", "Dashboard", "make_app"]

LOOPBACK: Final = frozenset({"127.0.0.1", "localhost", "::1"})
REAP_EVERY: Final = 30.0
_RUN: Final = r"/api/runs/([^/]+)"


def make_app(
    security: Security, reader: StoreReader, watcher: StoreWatcher, store_path: str
) -> tornado.web.Application:
    """The tornado application: every page and API route."""
    routes: list[Any] = [
        (r"/", ShellHandler),
        (r"/runs/[^/]+(?:/.*)?", ShellHandler),
        (r"/compare", ShellHandler),
        (r"/static/(.*)", StaticHandler, {"path": str(STATIC)}),
        (r"/api/session", SessionHandler),
        (r"/api/runs", RunsHandler),
        (r"/api/runs/events", RunsStream),
        (r"/api/compare", CompareHandler),
        (_RUN, RunHandler),
        (_RUN + r"/columns", ColumnsHandler),
        (_RUN + r"/summary", SummaryHandler),
        (_RUN + r"/critical", CriticalHandler),
        (_RUN + r"/graph", GraphHandler),
        (_RUN + r"/task", TaskHandler),
        (_RUN + r"/errors", ErrorsHandler),
        (_RUN + r"/events", RunStream),
        (_RUN + r"/logs", LogsHandler),
        (_RUN + r"/logs/first-error", FirstErrorHandler),
        (_RUN + r"/logs\.txt", LogsDownload),
        (_RUN + r"/cancel", CancelHandler),
        (_RUN + r"/rerun", RerunHandler),
    ]
    return tornado.web.Application(
        routes,
        default_handler_class=NotFoundHandler,
        security=security,
        reader=reader,
        watcher=watcher,
        cache=RunCache(),
        store_path=store_path,
        compress_response=False,  # the column data is binary floats; gzip would cost more than it saves here
    )


class Dashboard:
    """One dashboard: bound at construction, serving from ``start()`` to ``close()``."""

    def __init__(self, store_path: str | os.PathLike[str], host: str = "127.0.0.1", port: int = 8789,
                 read_only: bool = False, poll: float = 0.2) -> None:  # fmt: skip
        self.store_path = os.fspath(Path(store_path).expanduser())
        self.host = host
        self.read_only = read_only
        self._sockets = tornado.netutil.bind_sockets(port, address=host or None)
        self.port = int(self._sockets[0].getsockname()[1])
        wildcard = host in ("", "0.0.0.0", "::")
        self.security = Security(self.port, allowed_hosts(host, self.port), read_only=read_only, wildcard=wildcard)
        self._poll = poll
        self._server: tornado.httpserver.HTTPServer | None = None
        self._reaper: PeriodicCallback | None = None
        self._advert: Path | None = None
        self.reader: StoreReader | None = None
        self.watcher: StoreWatcher | None = None

    @property
    def base_url(self) -> str:
        """The URL without the token (what adverts and links use)."""
        if self.host in ("", "0.0.0.0", "::"):
            name = socket.gethostname()
        else:
            name = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{name}:{self.port}"

    @property
    def url(self) -> str:
        """The URL with the access token: what the user opens first."""
        return f"{self.base_url}/?token={self.security.token}"

    def start(self) -> None:
        """Serve on the running event loop."""
        self.reader = StoreReader(self.store_path)
        self.watcher = StoreWatcher(self.store_path, self._poll)
        self.watcher.start()
        app = make_app(self.security, self.reader, self.watcher, self.store_path)
        self._server = tornado.httpserver.HTTPServer(app, xheaders=False)
        self._server.add_sockets(self._sockets)
        self._reaper = PeriodicCallback(self._reap, REAP_EVERY * 1000)
        self._reaper.start()
        IOLoop.current().add_callback(self._reap)
        self._advert = advertise(self.base_url, self.store_path, self.read_only)

    async def _reap(self) -> None:
        reader, watcher = self.reader, self.watcher
        if reader is None or watcher is None:
            return
        grace = heartbeat_grace()
        reaped = await reader(lambda store: store.reap_stale(time.time(), grace))
        if reaped:
            watcher.touch()  # our own write: data_version does not count it

    async def close(self) -> None:
        """Stop serving; open streams end, then the store closes."""
        if self._advert is not None:
            withdraw(self._advert)
            self._advert = None
        if self._reaper is not None:
            self._reaper.stop()
        if self.watcher is not None:
            self.watcher.close()
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
        else:
            for sock in self._sockets:
                sock.close()
        if self.reader is not None:
            self.reader.close()
