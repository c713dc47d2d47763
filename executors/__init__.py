"""Where compiled Dask graphs run: in this process, or on a Dask cluster.

This package knows nothing of flows, tasks or states; it takes plain Dask
graphs (``dask.task_spec`` nodes) and hands back handles and events, and
enforces tag concurrency slots (``slots``; on Dask the scheduler plugin of
``slots_plugin``), since tags are Dask annotations.

Only the errors load with the package: every other name loads on first use,
so that what only needs the errors (the run store, the CLI's store commands,
the dashboard) never imports dask, and ``DaskExecutor`` never imports
``distributed`` until a Dask executor is wanted.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .errors import ExecutorError, OrchestratorError, SchedulerUnreachable

if TYPE_CHECKING:
    from .base import Executor, Handle
    from .dask_cluster import DaskExecutor
    from .local import LocalExecutor
    from .versions import VersionMismatchWarning

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

#: Names loaded on first use, and the module each comes from.
_LAZY: dict[str, str] = {
    "DaskExecutor": ".dask_cluster",
    "Executor": ".base",
    "Handle": ".base",
    "LocalExecutor": ".local",
    "VersionMismatchWarning": ".versions",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'executors' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # next time, a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
