"""Errors the run store raises.

::

    OrchestratorError                           (the one root, from executors.errors)
    └── StoreError                              the store could not be opened, read or written
        ├── AmbiguousRunIdError (LookupError)   a run-id prefix matches more than one run
        ├── RunAlreadyStarted                   a run id that exists was started again (a tick ran once)
        └── LeaseLost                           a serve process claimed ticks without the serve lease

``executors.errors`` is the only import from outside the standard library: the
root error lives in that lowest layer, so catching ``OrchestratorError`` covers
store failures too. Both errors pickle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from executors.errors import OrchestratorError

__all__ = ["AmbiguousRunIdError", "LeaseLost", "RunAlreadyStarted", "StoreError"]


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


class RunAlreadyStarted(StoreError):
    """Raised when a flow run that exists is started again: a scheduled tick's run starts once only.

    Nothing ran; a serve process seeing it knows the tick already has its run.
    """


class LeaseLost(StoreError):
    """Raised when a ``serve`` process claims ticks without holding the serve lease (another one took over).

    It must stop claiming and wait as a standby.
    """
