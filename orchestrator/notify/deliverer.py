"""The deliverer: claims due notifications from the outbox, sends them, and records every attempt.

``Deliverer(store).deliver_due()`` makes one pass: it claims what is due (a
hold, so no other deliverer sends the same row meanwhile), sends each, and
records the attempt's status and error in the store. A failed attempt is
retried after the rule's backoff (doubling each time) until its attempts
are spent; the row is then "failed", and the failure is logged as an error
on the ``daskflow.notify`` logger, never silently. A notification whose
secret is not in this process's environment is deferred without using an
attempt. ``deliver()`` repeats passes, sleeping on the injected clock until
the next retry is due, until nothing it may send is left.

Nothing here can change a run's outcome: runs are recorded before their
notifications are sent, and every error is caught, logged and recorded.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from typing import Final

from ..history.store import ClaimedNotification, RunStore
from ..records.clock import SYSTEM_CLOCK, Clock
from .secrets import MissingSecret
from .senders import Outcome, send

__all__ = ["Deliverer"]

#: How long a notification whose secret is missing here waits before this (or any) process tries again.
DEFER_SECONDS: Final = 30.0

_log = logging.getLogger("daskflow.notify")


class Deliverer:
    """Sends the outbox's due notifications from one process; see the module docstring."""

    def __init__(self, store: RunStore, clock: Clock = SYSTEM_CLOCK, env: Mapping[str, str] | None = None) -> None:
        self.store = store
        self.clock = clock
        self.env = env
        #: Who holds a claim and made an attempt: shown by ``daskflow notifications ls``.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        #: Notifications deferred here for a missing secret: not waited for by ``deliver``.
        self.deferred: set[str] = set()

    def deliver_due(self, run_ids: Sequence[str] | None = None, due_only: bool = True) -> int:
        """One pass over what is due (of ``run_ids``, or every run); returns how many attempts it made."""
        attempts = 0
        while True:
            batch = self.store.outbox.claim(self.clock.now(), self.owner, run_ids, due_only=due_only)
            if not batch:
                return attempts
            for claimed in batch:
                attempts += self._attempt(claimed)
            if not due_only:
                return attempts

    def deliver(self, run_ids: Sequence[str] | None = None, deadline: float | None = None) -> None:
        """Pass after pass until nothing pending is left to try here (or ``deadline`` on the clock)."""
        while True:
            self.deliver_due(run_ids)
            due = self.store.outbox.next_due(run_ids, exclude=sorted(self.deferred))
            if due is None or (deadline is not None and due > deadline):
                return
            wait = due - self.clock.now()
            if wait > 0:
                self.clock.sleep(wait)

    def _attempt(self, claimed: ClaimedNotification) -> int:
        row = claimed.row
        who = f"{row.state} notification of flow run {row.run_id} ({row.flow_name!r}) to {row.target}"
        try:
            outcome = send(claimed, self.env)
        except MissingSecret as exc:
            self.deferred.add(row.notification_id)
            note = f"waiting for a process with {exc.variable} set (deferred by {self.owner})"
            self.store.outbox.defer(row.notification_id, self.clock.now() + DEFER_SECONDS, note)
            _log.warning("%s: %s; it stays in the outbox", who, exc)
            return 0
        except Exception as exc:  # noqa: BLE001 - a broken notifier is a failed attempt, nothing more
            outcome = Outcome(False, None, f"{type(exc).__name__}: {exc}")
        status = self.store.outbox.record_attempt(
            claimed, self.owner, self.clock.now(), outcome.ok, outcome.status, outcome.error
        )
        number = row.attempts + 1
        if status == "failed":
            _log.error("%s failed after %d attempt(s): %s", who, number, outcome.error)
        elif not outcome.ok:
            _log.warning("%s: attempt %d failed (%s); retrying later", who, number, outcome.error)
        return 1
