"""How code running inside a task sends small events back to whoever subscribed.

A task asks for ``sink(topic)`` once, in the thread the executor runs it in,
and may then call the sink from any thread. Local executors register their
handlers here; on a Dask worker the sink is the worker's ``log_event``, which
rides the worker's batched stream to the scheduler and on to subscribed
clients, ahead of the task's own completion message.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Sink", "register_local", "sink", "unregister_local"]

_LOCAL_HANDLERS: dict[str, Callable[[Any], None]] = {}
_LOCK = threading.Lock()


class Sink:
    """Where one task's events go, and the address of the worker it runs on."""

    __slots__ = ("emit", "worker")

    def __init__(self, emit: Callable[[Any], None], worker: str | None) -> None:
        self.emit = emit
        self.worker = worker


def _discard(msg: Any) -> None:
    """Events from a task nobody listens to (a task called outside any flow) go nowhere."""


_NOWHERE = Sink(_discard, None)


def register_local(topic: str, handler: Callable[[Any], None]) -> None:
    with _LOCK:
        _LOCAL_HANDLERS[topic] = handler


def unregister_local(topic: str) -> None:
    with _LOCK:
        _LOCAL_HANDLERS.pop(topic, None)


def sink(topic: str) -> Sink:
    """The sink for ``topic`` in the current task; call in the thread that runs the task."""
    if not topic:
        return _NOWHERE  # a task called outside any flow, or a graph handed to plain Dask
    handler = _LOCAL_HANDLERS.get(topic)
    if handler is not None:
        return Sink(handler, None)
    # Only look for a Dask worker when distributed is already loaded: importing
    # it here would cost every local run a second of start-up.
    if "distributed" in sys.modules:
        from distributed.worker import get_worker

        try:
            worker = get_worker()
        except ValueError:
            return _NOWHERE
        return Sink(functools.partial(worker.log_event, topic), worker.address)
    return _NOWHERE
