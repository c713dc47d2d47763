"""``prefect.utilities.annotations`` (Prefect 2/3): ``unmapped``, ``allow_failure`` and ``quote``."""

from __future__ import annotations

from ....engine.futures import unmapped
from ...futures import allow_failure, quote

__all__ = ["allow_failure", "quote", "unmapped"]
