"""``prefect.logging`` (Prefect 2/3): ``get_run_logger``."""

from __future__ import annotations

from ...worker.run_logs import get_run_logger

__all__ = ["get_run_logger"]
