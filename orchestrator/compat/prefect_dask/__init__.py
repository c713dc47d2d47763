"""``prefect_dask`` on daskflow: ``DaskTaskRunner`` and ``get_dask_client``."""

from __future__ import annotations

from ...worker.dask_client import get_dask_client
from ..runners import DaskTaskRunner

__all__ = ["DaskTaskRunner", "get_dask_client"]
