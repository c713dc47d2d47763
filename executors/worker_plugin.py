"""The worker plugin that sends a worker's batched task events early (see ``executors.events``).

Two moments cannot wait for a batch's ``LINGER``:

* the worker closes (scaled down, retired, restarted): its stream is still
  open in ``teardown``, and events left in a batch would be lost with it;
* the worker goes idle: a task just finished and nothing else is executing or
  ready on it. Waiting would only delay the one task's state a waiting flow
  needs (a one-task run, a chain run one task at a time, the last task of a
  fan-out), and no more events are coming to fill the batch. While a worker
  has work queued, batching goes on as before.

A module of its own because it subclasses ``distributed``'s ``WorkerPlugin``:
only a started ``DaskExecutor`` imports it, so ``import executors`` stays free
of ``distributed``. Workers import it by name when the plugin arrives.
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from . import events

__all__ = ["FlushEvents"]

#: The states of a task running in a worker thread (cancelled: released while it ran), and where it goes after.
_RUNNING = frozenset({"executing", "cancelled"})
_DONE_RUNNING = frozenset({"memory", "error", "released", "rescheduled"})


class FlushEvents(WorkerPlugin):
    """Send what a worker's event batches hold when it closes, and when it runs out of work."""

    name = "daskflow-flush-events"

    def setup(self, worker: Any) -> None:
        self._worker = worker

    def teardown(self, worker: Any) -> None:
        events.flush_worker(worker)

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        # Called on the worker's event loop for every transition: the common path is one comparison.
        if start not in _RUNNING or finish not in _DONE_RUNNING or not events.FLUSH_WHEN_IDLE:
            return
        state = self._worker.state
        # Dask tells plugins before it drops the finished task from ``executing``.
        if not state.ready and not state.constrained and all(ts.key == key for ts in state.executing):
            events.flush_worker(self._worker)
