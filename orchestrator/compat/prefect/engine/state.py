"""``prefect.engine.state`` (Prefect 1): the state classes, whose subclasses carry the meaning."""

from __future__ import annotations

from ...states import P1Cached as Cached
from ...states import P1Cancelled as Cancelled
from ...states import P1Failed as Failed
from ...states import P1Finished as Finished
from ...states import P1Mapped as Mapped
from ...states import P1Pending as Pending
from ...states import P1Retrying as Retrying
from ...states import P1Running as Running
from ...states import P1Skipped as Skipped
from ...states import P1State as State
from ...states import P1Success as Success
from ...states import P1TimedOut as TimedOut
from ...states import P1TriggerFailed as TriggerFailed

__all__ = [
    "Cached",
    "Cancelled",
    "Failed",
    "Finished",
    "Mapped",
    "Pending",
    "Retrying",
    "Running",
    "Skipped",
    "State",
    "Success",
    "TimedOut",
    "TriggerFailed",
]
