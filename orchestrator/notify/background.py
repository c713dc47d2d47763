"""Background delivery of what this process enqueued, and waiting for it at exit.

``history.deliveries`` tells ``submit(store, run_ids)`` when this process
recorded a run's end or reaped crashed runs. One daemon thread per process
delivers those runs' notifications (retries included), so a flow call, a
notebook cell or ``daskflow runs ls`` does not wait on a slow endpoint; at
interpreter exit the process waits for the thread, so a script's last run
is still notified. What the thread could not send stays in the outbox for
``daskflow serve`` or the next process.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence

from ..history.store import RunStore, StoreError
from ..records.clock import SYSTEM_CLOCK, Clock
from .deliverer import Deliverer

__all__ = ["delivery_clock", "submit", "wait_for_deliveries"]

_log = logging.getLogger("daskflow.notify")
_lock = threading.Lock()
_idle = threading.Condition(_lock)
_queue: list[tuple[RunStore, tuple[str, ...]]] = []
_busy = False
#: Whether a delivery thread is running and will look at the queue again before it exits.
_working = False
_clock: list[Clock] = [SYSTEM_CLOCK]


def submit(store: RunStore, run_ids: Sequence[str]) -> None:
    """Deliver the pending notifications of ``run_ids`` in the background (``history.deliveries``' slot)."""
    global _working
    with _lock:
        _queue.append((store, tuple(run_ids)))
        if not _working:
            _working = True
            threading.Thread(target=_work, name="daskflow-notify", daemon=True).start()


def wait_for_deliveries(timeout: float | None = None) -> bool:
    """Wait until the background deliveries submitted so far are done; False on timeout."""
    with _idle:
        return _idle.wait_for(lambda: not _queue and not _busy, timeout)


@contextlib.contextmanager
def delivery_clock(clock: Clock) -> Iterator[None]:
    """Make background deliveries read and sleep on ``clock`` (tests pass a ``FakeClock``)."""
    _clock.append(clock)
    try:
        yield
    finally:
        _clock.remove(clock)


def _work() -> None:
    global _busy, _working
    while True:
        with _idle:
            if not _queue:
                _busy = _working = False
                _idle.notify_all()
                return
            store, run_ids = _queue.pop(0)
            _busy = True
        try:
            Deliverer(store, clock=_clock[-1]).deliver(run_ids)
        except StoreError as exc:  # the rows stay in the outbox for another process
            _log.warning("could not deliver the notifications of %s: %s", ", ".join(run_ids), exc)
        except Exception:  # noqa: BLE001 - logged; the rows stay in the outbox for another process
            _log.exception("delivering the notifications of %s failed", ", ".join(run_ids))


@atexit.register
def _wait_at_exit() -> None:
    # Bounded by the notifiers' own retries and timeouts; a second Ctrl-C gives up (the rows stay stored).
    with contextlib.suppress(KeyboardInterrupt):
        wait_for_deliveries()
