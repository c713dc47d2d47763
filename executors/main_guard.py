"""Worker processes that do not re-run the user's script, so flows work without a main guard.

A ``LocalCluster``'s nannies start each worker with multiprocessing's *spawn*
method, whose child first re-imports the parent's ``__main__`` (as
``__mp_main__``). A script that calls a flow at module level, with no
``if __name__ == "__main__":``, then runs again inside every worker, starts
another cluster there, and the worker dies ("Nanny failed to start").

Dask workers need nothing from the user's main module: daskflow pickles the
functions and classes of ``__main__`` by value, and ``distributed`` sends any
object that refers to ``__main__`` with cloudpickle. A remote ``dask worker``
never has the user's script either. So ``skip_main_import()`` makes the
processes Dask names ``"Dask Worker process (from Nanny)"`` start without that
re-import, the way Jupyter kernels (which have no main file) always have.
Every other process this program spawns is left exactly as it was.

It wraps ``multiprocessing.spawn.get_preparation_data``, which both the spawn
and forkserver start methods call for each new process; the wrapper is
installed once per process, when the first Dask cluster is started here.
"""

from __future__ import annotations

import multiprocessing.spawn
import threading
from collections.abc import Callable
from typing import Any, Final

__all__ = ["DASK_WORKER_PROCESS", "skip_main_import"]

#: The name ``distributed.nanny`` gives the worker processes it starts.
DASK_WORKER_PROCESS: Final = "Dask Worker process (from Nanny)"
_MAIN_KEYS: Final = ("init_main_from_name", "init_main_from_path")
_lock = threading.Lock()


def _without_main(original: Callable[[str], dict[str, Any]]) -> Callable[[str], dict[str, Any]]:
    def get_preparation_data(name: str) -> dict[str, Any]:
        data = original(name)
        if name == DASK_WORKER_PROCESS:
            for key in _MAIN_KEYS:
                data.pop(key, None)
        return data

    get_preparation_data.daskflow_original = original  # type: ignore[attr-defined]
    return get_preparation_data


def skip_main_import() -> None:
    """Start Dask's nanny-spawned worker processes without re-importing ``__main__`` (idempotent)."""
    with _lock:
        current = multiprocessing.spawn.get_preparation_data
        if not hasattr(current, "daskflow_original"):
            multiprocessing.spawn.get_preparation_data = _without_main(current)  # type: ignore[assignment]
