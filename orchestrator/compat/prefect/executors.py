"""``prefect.executors`` (Prefect 1): ``LocalExecutor``, ``LocalDaskExecutor`` and ``DaskExecutor``."""

from __future__ import annotations

from executors import LocalExecutor

from ..runners import DaskExecutor, LocalDaskExecutor

__all__ = ["DaskExecutor", "LocalDaskExecutor", "LocalExecutor"]
