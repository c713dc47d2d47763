"""The serve lease: which ``daskflow serve`` process is the active one for a store.

The active server renews the lease row (owner, pid, host, heartbeat) on
every loop; a second server is a standby that tries to take it on every
loop and succeeds when the lease expired (its holder stopped renewing for
``ttl`` seconds), at once when the holder released it (a clean stop), or at
once when the holder is on this host and its pid is gone (killed). The
lease only avoids wasted work: claiming checks it in the claim's own
transaction, and the ticks' primary key would stop a duplicate even if two
servers thought themselves active.
"""

from __future__ import annotations

import os
import socket
import uuid

from ..history.store import LeaseRow, ScheduleBook

__all__ = ["ServeLease", "pid_alive"]


def pid_alive(pid: int) -> bool:
    """Whether a process with ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


class ServeLease:
    """This process's side of the lease; see the module docstring."""

    def __init__(self, book: ScheduleBook, ttl: float) -> None:
        self.book = book
        self.ttl = ttl
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.owner = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"
        #: When this process last became the active server (None while standby).
        self.active_since: float | None = None
        #: The holder seen when the lease could not be taken.
        self.holder: LeaseRow | None = None

    def hold(self, now: float) -> bool:
        """Take or renew the lease; True while this process is the active server."""
        held, row = self.book.acquire_lease(self.owner, self.pid, self.host, now, self.ttl, self._gone)
        if held:
            if self.active_since is None:
                self.active_since = now
            self.holder = None
        else:
            self.active_since = None
            self.holder = row
        return held

    def lost(self) -> None:
        """Another process took over (a claim said so): back to standby."""
        self.active_since = None

    def release(self) -> None:
        """A clean stop: give the lease up so a standby takes over at once."""
        self.book.release_lease(self.owner)
        self.active_since = None

    def _gone(self, lease: LeaseRow) -> bool:
        return lease.host == self.host and lease.pid != self.pid and not pid_alive(lease.pid)
