"""Routing state events from one executor subscription to the flow runs that share it.

Each executor has one event topic (its connection). Several flow runs may use
the same executor at once (threads, a notebook), so the first run on a topic
subscribes and the last one unsubscribes; every event names its run, and
``dispatch`` hands it to that run's handler. Handlers run on the executor's
thread (Dask's event loop), so they must not block.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping
from typing import Any

from executors import Executor

__all__ = ["ROUTER", "Router"]

Handler = Callable[[Any], None]


class Router:
    """One executor subscription per topic, shared by the runs using it; dispatch by run id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, dict[str, Handler]] = {}

    def attach(self, executor: Executor, topic: str, run_id: str, handler: Handler) -> None:
        with self._lock:
            runs = self._routes.get(topic)
            if runs is None:
                runs = self._routes[topic] = {}
                executor.subscribe(topic, functools.partial(_dispatch, runs))
            runs[run_id] = handler

    def detach(self, executor: Executor, topic: str, run_id: str) -> None:
        with self._lock:
            runs = self._routes.get(topic)
            if runs is None:
                return
            runs.pop(run_id, None)
            if not runs:
                del self._routes[topic]
                executor.unsubscribe(topic)


def _dispatch(runs: Mapping[str, Handler], message: Any) -> None:
    """Hand one event, or each event of a worker's batch (executors.events), to its run's handler."""
    # A batch arrives as a tuple: msgpack turns lists into tuples on the way.
    for event in message if isinstance(message, (list, tuple)) else (message,):
        handler = runs.get(str(event.get("run"))) if isinstance(event, dict) else None
        if handler is not None:
            handler(event)


ROUTER = Router()
