"""``prefect.engine.signals`` (Prefect 1): ``SKIP``, ``FAIL``, ``SUCCESS``, ``LOOP`` and the others."""

from __future__ import annotations

from ...signals import FAIL, LOOP, PAUSE, RETRY, SKIP, SUCCESS, TRIGGERFAIL, PrefectSignal, ValidationFailed

__all__ = ["FAIL", "LOOP", "PAUSE", "RETRY", "SKIP", "SUCCESS", "TRIGGERFAIL", "PrefectSignal", "ValidationFailed"]
