"""``prefect_dask.task_runners``: ``DaskTaskRunner``."""

from __future__ import annotations

from ..runners import DaskTaskRunner

__all__ = ["DaskTaskRunner"]
