"""How code running inside a task sends small events back to whoever subscribed.

A task asks for ``sink(topic)`` once, in the thread the executor runs it in,
and may then call the sink from any thread. Local executors register their
handlers here, and events reach them at once, one by one.

On a Dask worker, events are batched per worker and topic: the first event
of a batch schedules a send ``LINGER`` seconds later on the worker's event
loop, and the send is one ``log_event`` carrying the list of events, which
rides the worker's batched stream to the scheduler and on to subscribed
clients. Every message costs the scheduler and the client a fixed amount of
work whatever its size (routing, a send, a receive, a dispatch), so sending
per event cost the driver's process about 100 us per task. A worker that
sent nothing for ``LINGER`` seconds sends its next event at once, so a flow
waiting on one task at a time hears it without delay; under load an event
reaches subscribers up to ``LINGER`` seconds after its task finished,
usually after the task's own completion. Two things send a batch early,
because a driver is waiting for it: a task whose result the driver waits on
sends its final event with ``Sink.emit_now``, and a driver whose awaited
tasks are all done but unreported asks every worker to send what it holds
(``flush_requested``, through ``DaskExecutor.flush_events``). Both cost a
message per awaited task or per wait, where sending at once whenever a
worker idled cost one per task in a fan-out, ten times the batches. Events
of one worker stay in order. Subscribers receive either one event or a list
of events.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

__all__ = [
    "LINGER",
    "SEND_EARLY",
    "Sink",
    "flush_requested",
    "flush_worker",
    "is_local",
    "register_local",
    "sink",
    "unregister_local",
]

#: Seconds a worker holds events before sending them as one batch.
LINGER = 0.05
#: Whether a worker sends a batch before its LINGER when asked (``emit_now``, ``flush_requested``);
#: fault tests turn it off in one worker process to make it hold the events it owes until killed.
SEND_EARLY = True
#: The clock of batching decisions; tests replace it to play a machine booted seconds ago.
monotonic = time.monotonic

_LOCAL_HANDLERS: dict[str, Callable[[Any], None]] = {}
_LOCK = threading.Lock()


class Sink:
    """Where one task's events go, and the address of the worker it runs on.

    ``emit`` batches; ``emit_now`` sends the event with whatever the batch
    holds at once, for the final event of a task the driver waits on.
    """

    __slots__ = ("emit", "emit_now", "worker")

    def __init__(
        self, emit: Callable[[Any], None], worker: str | None, emit_now: Callable[[Any], None] | None = None
    ) -> None:
        self.emit = emit
        self.emit_now = emit_now or emit
        self.worker = worker


def _discard(msg: Any) -> None:
    """Events from a task nobody listens to (a task called outside any flow) go nowhere."""


_NOWHERE = Sink(_discard, None)


class _WorkerBatch:
    """The events of one Dask worker for one topic, sent as one ``log_event`` per ``LINGER``."""

    def __init__(self, worker: Any, topic: str) -> None:
        # Weak, so the module-level registry never keeps a closed worker alive.
        self._worker = weakref.ref(worker)
        self._loop = worker.loop
        self._topic = topic
        self._lock = threading.Lock()
        self._events: list[Any] = []
        #: ``time.monotonic()`` of the last send; None until the first. Never compare a monotonic
        #: reading with a constant: its origin is unspecified (on Linux, the boot), so 0.0 would
        #: make a worker on a machine booted under LINGER seconds ago look busy.
        self._last_send: float | None = None

    def emit(self, event: Any) -> None:
        with self._lock:
            self._events.append(event)
            first = len(self._events) == 1
        if not first:
            return
        worker = self._worker()
        # An idle worker sends at once (a flow waiting on one task hears it without delay);
        # one that sent recently lets a batch pile up. One loop wake-up per batch either way.
        idle = self._last_send is None or monotonic() - self._last_send >= LINGER
        if idle or worker is None or worker.status.name != "running":
            self._loop.add_callback(self._send)
        else:
            self._loop.add_callback(self._send_later)

    def emit_now(self, event: Any) -> None:
        if not SEND_EARLY:
            self.emit(event)
            return
        with self._lock:
            self._events.append(event)
        self._loop.add_callback(self._send)  # a send already scheduled then finds the batch empty

    def _send_later(self) -> None:
        self._loop.call_later(LINGER, self._send)

    def _send(self) -> None:
        with self._lock:
            batch, self._events = self._events, []
        worker = self._worker()
        if not batch or worker is None:
            return
        self._last_send = monotonic()
        try:
            worker.log_event(self._topic, batch)
        except Exception:  # noqa: BLE001 - find the event that cannot go, send the rest
            if worker.status.name in _STREAM_GONE:
                return  # the worker is closing; its stream, and these events, are gone with it
            for event in batch:
                try:
                    worker.log_event(self._topic, [event])
                except Exception as exc:  # noqa: BLE001
                    _log.warning("dropped an event Dask cannot send on topic %s: %s: %r", self._topic, exc, event)


_STREAM_GONE = frozenset({"closing", "closed", "failed"})
_log = logging.getLogger("daskflow.events")
_BATCHES: weakref.WeakKeyDictionary[Any, dict[str, _WorkerBatch]] = weakref.WeakKeyDictionary()


def flush_worker(worker: Any) -> None:
    """Send every batch ``worker`` holds now; call on its event loop (a closing worker's plugin does)."""
    with _LOCK:
        batches = list(_BATCHES.get(worker, {}).values())
    for batch in batches:
        batch._send()  # the send already scheduled then finds nothing


def flush_requested(dask_worker: Any) -> None:
    """A driver waits for events only: send this worker's batches now (``Client.run`` calls it on the loop)."""
    if SEND_EARLY:
        flush_worker(dask_worker)


def register_local(topic: str, handler: Callable[[Any], None]) -> None:
    with _LOCK:
        _LOCAL_HANDLERS[topic] = handler


def unregister_local(topic: str) -> None:
    with _LOCK:
        _LOCAL_HANDLERS.pop(topic, None)


def is_local(topic: str) -> bool:
    """Whether ``topic`` belongs to an executor running tasks in this process."""
    return topic in _LOCAL_HANDLERS


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
        with _LOCK:
            batches = _BATCHES.setdefault(worker, {})
            batch = batches.get(topic)
            if batch is None:
                batch = batches[topic] = _WorkerBatch(worker, topic)
        return Sink(batch.emit, worker.address, batch.emit_now)
    return _NOWHERE
