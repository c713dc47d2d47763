"""Where compiled Dask graphs run: in this process, or on a Dask cluster.

This package knows nothing of flows, tasks or states; it takes plain Dask
graphs (``dask.task_spec`` nodes) and hands back handles and events, and
enforces tag concurrency slots (``slots``; on Dask the scheduler plugin of
``slots_plugin``), since tags are Dask annotations.
``DaskExecutor`` is loaded lazily so that importing this package does not
import ``distributed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import Executor, Handle
from .errors import ExecutorError, OrchestratorError, SchedulerUnreachable
from .local import LocalExecutor
from .versions import VersionMismatchWarning

if TYPE_CHECKING:
    from .dask_cluster import DaskExecutor

__all__ = [
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "Handle",
    "LocalExecutor",
    "OrchestratorError",
    "SchedulerUnreachable",
    "VersionMismatchWarning",
]


def __getattr__(name: str) -> Any:
    if name == "DaskExecutor":
        from .dask_cluster import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module 'executors' has no attribute {name!r}")
