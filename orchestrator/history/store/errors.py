"""Errors the run store raises.

::

    OrchestratorError                           (the one root, from executors.errors)
    └── StoreError                              the store could not be opened, read or written
        ├── AmbiguousRunIdError (LookupError)   a run-id prefix matches more than one run
        ├── RunAlreadyStarted                   a run id that exists was started again (a tick ran once)
        ├── LeaseLost                           a serve process claimed ticks without the serve lease
        ├── StoreLocked (TimeoutError)          another writer held the store's lock too long
        ├── StoreDamaged                        the file is not a database, or its pages are corrupt
        └── StoreFull (OSError)                 the disk holding the store is full

``classify`` turns an SQLite error into the fitting one of these.
``executors.errors`` is the only import from outside the standard library: the
root error lives in that lowest layer, so catching ``OrchestratorError`` covers
store failures too. Both errors pickle.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Final

from executors.errors import OrchestratorError

__all__ = [
    "AmbiguousRunIdError",
    "LeaseLost",
    "RunAlreadyStarted",
    "StoreDamaged",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "classify",
]


class StoreError(OrchestratorError):
    """Raised when the run store cannot be opened, read or written.

    The message names the store file and what went wrong: a schema newer than
    this daskflow (upgrade daskflow), a database locked for too long (find the
    process holding a long transaction), a malformed record (fix the producer),
    or a filesystem that cannot host a WAL database (move ``DASKFLOW_HOME``).
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self.args)


class AmbiguousRunIdError(StoreError, LookupError):
    """Raised when a run-id prefix matches several flow runs; pass more characters of the id."""

    def __init__(self, prefix: str, matches: Sequence[str], count: int | None = None) -> None:
        count = len(matches) if count is None else count
        shown = ", ".join(matches[:5]) + (", ..." if count > min(len(matches), 5) else "")
        message = f"run id prefix {prefix!r} matches {count} flow runs ({shown}); give more characters of the run id"
        super().__init__(message)
        self.prefix = prefix
        self.matches = list(matches)
        self.count = count

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.prefix, self.matches, self.count))


class StoreLocked(StoreError, TimeoutError):
    """Raised when another process held the store's write lock longer than the store's timeout.

    Nothing was written; the same write may simply be tried again (the
    recorder and its writer keep trying for ``patience.LOCK_PATIENCE``).
    """


class StoreDamaged(StoreError):
    """Raised when the store file is not an SQLite database or its pages are corrupt.

    Nothing in the file was changed. Move it aside and daskflow starts a new
    store; ``sqlite3 FILE .recover`` may salvage the runs it holds.
    """

    def __init__(self, path: str, detail: str) -> None:
        message = (
            f"the run store {path} is damaged ({detail}); daskflow changed nothing in it. "
            f"Move it aside (mv {path} {path}.damaged) and daskflow starts a new store; "
            f"`sqlite3 {path}.damaged .recover` may salvage its runs"
        )
        super().__init__(message)
        self.path = path
        self.detail = detail

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.detail))


class StoreFull(StoreError, OSError):
    """Raised when a write fails because the disk (or quota) holding the store is full; free space there."""


class RunAlreadyStarted(StoreError):
    """Raised when a flow run that exists is started again: a scheduled tick's run starts once only.

    Nothing ran; a serve process seeing it knows the tick already has its run.
    """


class LeaseLost(StoreError):
    """Raised when a ``serve`` process claims ticks without holding the serve lease (another one took over).

    It must stop claiming and wait as a standby.
    """


_SQLITE_CORRUPT: Final = 11
_SQLITE_FULL: Final = 13
_SQLITE_NOTADB: Final = 26


def classify(path: str, exc: sqlite3.Error) -> StoreError:
    """The ``StoreError`` for an SQLite error: damaged file, full disk, or anything else."""
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    text = str(exc)
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) or "malformed" in text or "not a database" in text:
        return StoreDamaged(path, f"{type(exc).__name__}: {text}")
    if code == _SQLITE_FULL or "disk is full" in text:
        return StoreFull(
            f"the disk holding the run store {path} is full ({text}); free space there, or set "
            "DASKFLOW_HOME to a directory on another disk"
        )
    return StoreError(f"run store {path}: {type(exc).__name__}: {text}")
