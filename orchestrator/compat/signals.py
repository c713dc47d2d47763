"""Prefect 1's signals (``prefect.engine.signals``): exceptions a task raises to set its own state.

* ``SKIP("reason")`` ends the task Skipped (it is daskflow's ``Skip``).
* ``FAIL("message")`` ends it Failed with that message; ``TRIGGERFAIL`` is a
  ``FAIL`` a custom trigger raises to say no.
* ``SUCCESS("message", result=...)`` ends it Completed with ``result``.
* ``LOOP`` and ``PAUSE`` have no daskflow equivalent: raising them fails the
  task with a message saying what to do instead.

The translation happens in the task's wrapper (``orchestrator.compat.calls``).
"""

from __future__ import annotations

from typing import Any

from ..records.errors import Skip

__all__ = ["FAIL", "LOOP", "PAUSE", "RETRY", "SKIP", "SUCCESS", "TRIGGERFAIL", "PrefectSignal", "ValidationFailed"]


class PrefectSignal(Exception):
    """Base of the Prefect 1 signals; ``result`` is the value a signal carries (``SUCCESS(result=...)``)."""

    is_prefect_signal = True

    def __init__(self, message: str | None = None, result: Any = None) -> None:
        super().__init__(message)
        self.message, self.result = message, result

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.result))

    def __str__(self) -> str:
        return self.message or type(self).__name__


class FAIL(PrefectSignal):
    """Raise to end the task Failed with this message."""


class TRIGGERFAIL(FAIL):
    """Raised by a trigger whose condition is not met."""


class ValidationFailed(FAIL):
    """Raised when a task's result fails validation."""


class SUCCESS(PrefectSignal):
    """Raise to end the task Completed with ``result``."""


class RETRY(PrefectSignal):
    """Raise to fail this attempt; the task's retries decide what comes next."""


class LOOP(PrefectSignal):
    """Prefect 1 looped a task by re-running it; daskflow does not (see the error when raised)."""


class PAUSE(PrefectSignal):
    """Prefect 1 paused for manual approval; daskflow does not (see the error when raised)."""


class SKIP(Skip, PrefectSignal):
    """Raise to end the task Skipped with this message; its dependents skip too."""

    def __init__(self, message: str | None = None, result: Any = None) -> None:
        Skip.__init__(self, message or "skipped by the task")
        self.message, self.result = message, result

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.result))

    def __str__(self) -> str:
        return self.reason
