"""Writing through a store that another process keeps locked: wait longer, say so, lose nothing.

A single write waits for the store's lock up to the store's timeout (30 s)
and then raises ``StoreLocked`` without having written anything. The
recorder and its writer child must not drop a run's events for that: they
call ``patiently(write)``, which tries the same write again, warning each
time, until it succeeds or ``LOCK_PATIENCE`` has passed. Only then does the
lock win, and the caller reports the failure like any other.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final, TypeVar

from .errors import StoreLocked

__all__ = ["LOCK_PATIENCE", "patiently"]

#: How long a recorder keeps retrying a write the store's lock holds up.
LOCK_PATIENCE: Final = 600.0

_T = TypeVar("_T")


def patiently(
    write: Callable[[], _T],
    warn: Callable[[str], None],
    patience: float = LOCK_PATIENCE,
    clock: Callable[[], float] = time.monotonic,
) -> _T:
    """``write()``, tried again while it raises ``StoreLocked``, for up to ``patience`` seconds in all."""
    start = clock()
    while True:
        try:
            return write()
        except StoreLocked as exc:
            waited = clock() - start
            if waited >= patience:
                raise
            warn(f"{exc}; still trying ({waited:.0f} s so far, giving up after {patience:g} s)")
