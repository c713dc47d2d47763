"""Who delivers the notifications this process put in the outbox: a slot the notify package fills.

The recorder (a run's end) and ``open_history_store`` (runs reaped Crashed)
write notifications in their state's transaction; this process should then
try to deliver them. The deliverer lives in ``orchestrator.notify``, a layer
above this one, which installs itself here when the package root is
imported. Without one installed, the notifications simply wait in the store
for a process that has it (``daskflow serve``, ``daskflow notifications deliver``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from .store import RunStore

__all__ = ["Deliver", "install_deliverer", "outbox_written"]

#: ``deliver(store, run_ids)``: start delivering those runs' pending notifications; must not block long.
Deliver = Callable[[RunStore, Sequence[str]], None]
_DELIVERERS: list[Deliver] = []
_log = logging.getLogger("daskflow.notify")


def install_deliverer(deliver: Deliver) -> None:
    """Make ``deliver`` take what this process enqueues (once per deliverer)."""
    if deliver not in _DELIVERERS:
        _DELIVERERS.append(deliver)


def outbox_written(store: RunStore, run_ids: Sequence[str]) -> None:
    """Notifications of ``run_ids`` may be waiting: hand them to the installed deliverers."""
    if not run_ids:
        return
    for deliver in _DELIVERERS:
        try:
            deliver(store, run_ids)
        except Exception:  # noqa: BLE001 - a notifier never changes a run's outcome; the rows stay stored
            _log.exception("could not start delivering the notifications of %s", ", ".join(run_ids))
