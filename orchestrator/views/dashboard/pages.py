"""The page shell, the static files and the session: what the browser loads before any data.

Every page path (``/``, ``/runs/ID``, ``/runs/ID/logs``, ``/compare``...)
answers with the same ``static/index.html``; its ES modules route on the
path and fetch their data from the API. Static files need the token like
everything else. ``/api/session`` gives a page holding the token what it
needs besides: the XSRF token for its POSTs, whether actions are off, and
the state colours (``views.visualize.STATE_COLOURS``, so the dashboard and
``flow.visualize()`` agree).
"""

from __future__ import annotations

import importlib.resources
import time
from pathlib import Path
from typing import Any

import tornado.web

from ...history.store import STATE_ORDER, TERMINAL_STATES
from ..visualize import STATE_COLOURS
from .security import GuardedHandler
from .serialize import dumps

__all__ = ["STATIC", "NotFoundHandler", "SessionHandler", "ShellHandler", "StaticHandler"]

STATIC = Path(str(importlib.resources.files(__package__ or "orchestrator.views.dashboard") / "static"))


class ShellHandler(GuardedHandler):
    def get(self, *args: str) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish((STATIC / "index.html").read_bytes())


class StaticHandler(GuardedHandler, tornado.web.StaticFileHandler):
    """Tornado's static files (ETags, ranges), behind the token and with the dashboard's headers."""

    def set_extra_headers(self, path: str) -> None:
        # Revalidate every time (cheap, by ETag): a newer dashboard must not run an older module.
        self.set_header("Cache-Control", "no-cache")


class SessionHandler(GuardedHandler):
    def get(self) -> None:
        colours = {state.value: colour for state, colour in STATE_COLOURS.items()}
        body: dict[str, Any] = {
            "xsrf": self.security.xsrf,
            "read_only": self.security.read_only,
            "store": self.settings["store_path"],
            "states": list(STATE_ORDER),
            "terminal": sorted(TERMINAL_STATES),
            "colours": colours,
            "now": time.time(),
        }
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(dumps(body))


class NotFoundHandler(GuardedHandler):
    def prepare(self) -> None:
        super().prepare()
        if not self._finished:
            raise tornado.web.HTTPError(404, "no such page or API: %s", self.request.path)
