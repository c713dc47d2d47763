"""``get_dask_client()``: a Dask client inside a task, for Dask collections and sub-work.

It wraps ``distributed.worker_client``, which secedes the task's thread from
the worker's pool while the block runs, so waiting on sub-work cannot
deadlock a worker whose threads are all busy.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..records.errors import OrchestratorError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["get_dask_client"]


@contextlib.contextmanager
def get_dask_client(timeout: float | None = None) -> Iterator[Client]:
    """``with get_dask_client() as client:`` inside a task running on a ``DaskExecutor``."""
    worker = None
    if "distributed" in sys.modules:
        from distributed.worker import get_worker

        try:
            worker = get_worker()
        except ValueError:
            worker = None
    if worker is None:
        message = (
            "get_dask_client() works inside a task that runs on a Dask worker; "
            "run the flow with DaskExecutor() (LocalExecutor has no Dask cluster)"
        )
        raise OrchestratorError(message)
    from distributed import worker_client

    with worker_client(timeout=timeout) as client:
        yield client
