"""``DashboardCase``: the dashboard app on tornado.testing's HTTP server, over a real SQLite store file."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tornado.testing
import tornado.web

from orchestrator.views.dashboard.app import make_app
from orchestrator.views.dashboard.reader import StoreReader
from orchestrator.views.dashboard.security import Security, allowed_hosts
from orchestrator.views.dashboard.sse import StoreWatcher
from tests.views.dashboard.seed import Seeded, seed


class DashboardCase(tornado.testing.AsyncHTTPTestCase):
    """Each test gets a seeded store (``self.seeded``) and the app serving it; ``read_only`` per class."""

    read_only = False

    def get_async_test_timeout(self) -> float:
        return 120.0

    def get_app(self) -> tornado.web.Application:
        self.home = Path(tempfile.mkdtemp(prefix="daskflow-dashboard-"))
        self.seeded: Seeded = seed(self.home / "daskflow.db")
        port = self.get_http_port()
        self.security = Security(port, allowed_hosts("127.0.0.1", port), read_only=self.read_only)
        self.reader = StoreReader(str(self.seeded.path))
        self.watcher = StoreWatcher(str(self.seeded.path), interval=0.02)
        self.watcher.start()
        return make_app(self.security, self.reader, self.watcher, str(self.seeded.path))

    def tearDown(self) -> None:
        self.watcher.close()
        super().tearDown()
        self.reader.close()
        shutil.rmtree(self.home, ignore_errors=True)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.security.token}"}

    def get_json(self, path: str, **headers: str) -> Any:
        response = self.fetch(path, headers={**self.auth, **headers})
        assert response.code == 200, (path, response.code, response.body[:500])
        return json.loads(response.body)

    def post(self, path: str, *, xsrf: bool = True, origin: str | None = "own") -> Any:
        headers = dict(self.auth)
        if xsrf:
            headers["X-XSRF-Token"] = self.security.xsrf
        if origin == "own":
            headers["Origin"] = f"http://127.0.0.1:{self.get_http_port()}"
        elif origin is not None:
            headers["Origin"] = origin
        return self.fetch(path, method="POST", body=b"", headers=headers, raise_error=False)

    async def open_stream(self, path: str, last_event_id: str | None = None) -> SseClient:
        client = SseClient(self.get_http_port())
        await client.open(path, self.security.token, last_event_id)
        return client


class SseClient:
    """A bare HTTP connection reading Server-Sent Events, closed when the test says so."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.buffer = ""
        self.events: list[dict[str, str]] = []

    async def open(self, path: str, token: str, last_event_id: str | None) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        lines = [
            f"GET {path} HTTP/1.0",  # no chunked framing: the body is the event stream itself
            f"Host: 127.0.0.1:{self.port}",
            f"Authorization: Bearer {token}",
            "Accept: text/event-stream",
        ]
        if last_event_id is not None:
            lines.append(f"Last-Event-ID: {last_event_id}")
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()
        head = (await self.reader.readuntil(b"\r\n\r\n")).decode()
        assert head.split(" ", 2)[1] == "200", head
        assert "text/event-stream" in head, head

    async def until(self, name: str, count: int = 1, timeout: float = 30.0) -> list[dict[str, str]]:
        """Read until ``count`` events called ``name`` arrived; every event read so far, in order."""
        return await self.wait(lambda events: sum(1 for e in events if e.get("event") == name) >= count, timeout)

    async def wait(self, done: Callable[[list[dict[str, str]]], bool], timeout: float = 30.0) -> list[dict[str, str]]:
        """Read until ``done(events)``; every event read so far, in order."""

        async def read() -> None:
            while not done(self.events):
                chunk = await self.reader.read(65536)
                assert chunk, "the stream closed"
                self.buffer += chunk.decode()
                self._parse()

        await asyncio.wait_for(read(), timeout)
        return self.events

    def _parse(self) -> None:
        *complete, rest = self.buffer.split("\n\n")  # an event ends with a blank line
        self.buffer = rest
        for block in complete:
            fields: dict[str, str] = {}
            for line in block.split("\n"):
                if line.startswith(":") or ":" not in line:
                    continue
                name, _, value = line.partition(":")
                fields[name] = value[1:] if value.startswith(" ") else value
            if "event" in fields:
                self.events.append(fields)

    def close(self) -> None:
        self.writer.close()


def data(event: dict[str, Any]) -> Any:
    """An event's data: parsed from an SSE event, as is from the JSON answer."""
    value = event["data"]
    return json.loads(value) if isinstance(value, str) else value
