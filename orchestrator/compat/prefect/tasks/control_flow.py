"""``prefect.tasks.control_flow`` (Prefect 1): ``case``, ``merge``, ``ifelse`` and ``switch``."""

from __future__ import annotations

from ...control_flow import case, ifelse, merge, switch

__all__ = ["case", "ifelse", "merge", "switch"]
