"""``prefect.exceptions`` (Prefect 2/3): what a state's ``result()`` raises when the run did not complete."""

from __future__ import annotations

from ..states import CrashedRun, FailedRun, UpstreamTaskError

__all__ = ["CrashedRun", "FailedRun", "UpstreamTaskError"]
