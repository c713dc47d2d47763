"""The root of every daskflow error, and the errors executors raise.

The root lives here, in the lower layer, so that ``executors`` stays free of
``orchestrator`` imports while every error a user sees still shares one base::

    OrchestratorError
    ├── ExecutorError
    │   └── SchedulerUnreachable (also ConnectionError)
    └── (orchestrator.errors adds the flow- and task-level errors)
"""

from __future__ import annotations

from typing import Any

__all__ = ["ExecutorError", "OrchestratorError", "SchedulerUnreachable"]


class OrchestratorError(Exception):
    """Base class of every error daskflow raises on purpose.

    Catch it to handle any daskflow failure; catch a subclass for one kind.
    Subclasses keep their constructor arguments so they pickle across workers.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), self.args)


class ExecutorError(OrchestratorError):
    """An executor could not start, submit or collect work."""


class SchedulerUnreachable(ExecutorError, ConnectionError):
    """Raised when no Dask scheduler answers at the given address within the connect timeout.

    Check that ``dask scheduler`` runs at that address and that this machine can
    reach it, or pass another address.
    """

    def __init__(self, address: str, timeout: float, reason: str = "") -> None:
        message = (
            f"no Dask scheduler answered at {address} within {timeout:g} s"
            + (f" ({reason})" if reason else "")
            + "; start one with 'dask scheduler' or pass the right address"
        )
        super().__init__(message)
        self.address, self.timeout, self.reason = address, timeout, reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.address, self.timeout, self.reason))
