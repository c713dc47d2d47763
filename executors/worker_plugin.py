"""The worker plugin that sends a closing worker's batched task events (see ``executors.events``).

A module of its own because it subclasses ``distributed``'s ``WorkerPlugin``:
only a started ``DaskExecutor`` imports it, so ``import executors`` stays free
of ``distributed``. Workers import it by name when the plugin arrives.
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from . import events

__all__ = ["FlushEventsOnClose"]


class FlushEventsOnClose(WorkerPlugin):
    """On teardown (the worker is closing, its stream still open), send what its batches hold."""

    name = "daskflow-flush-events"

    def teardown(self, worker: Any) -> None:
        events.flush_worker(worker)
