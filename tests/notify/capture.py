"""A small HTTP server on 127.0.0.1 that records every request and answers with scripted status codes."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Captured:
    """One request the server received."""

    path: str
    headers: dict[str, str]
    body: Any


class CaptureServer:
    """Records requests; answers each with the next of ``statuses`` (the last one repeats)."""

    def __init__(self, statuses: Sequence[int] = (200,)) -> None:
        self.statuses = list(statuses)
        self.requests: list[Captured] = []
        self._lock = threading.Lock()
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                with capture._lock:
                    capture.requests.append(Captured(self.path, dict(self.headers), json.loads(raw or b"null")))
                    index = min(len(capture.requests), len(capture.statuses)) - 1
                    status = capture.statuses[index]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/hook/secret-token-123"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def capture_server(statuses: Sequence[int] = (200,)) -> Iterator[CaptureServer]:
    """A started ``CaptureServer``, shut down afterwards."""
    server = CaptureServer(statuses)
    server.start()
    try:
        yield server
    finally:
        server.close()
