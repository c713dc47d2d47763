"""``StoreReader``: the dashboard's store reads, run on a small thread pool off the event loop.

A read of a 100k-row run takes tens of milliseconds; on tornado's event
loop it would stall every open live stream meanwhile. So reads run on
``threads`` worker threads, each with its own store object (its own SQLite
connection: one connection serialises its callers), and handlers ``await``
them. WAL mode lets these read while drivers write.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from typing import TypeVar

from ...history.store import RunStore, open_store

__all__ = ["StoreReader"]

T = TypeVar("T")


class StoreReader:
    """Runs ``fn(store)`` on a reader thread: ``await reader(fn)``."""

    def __init__(self, path: str, threads: int = 2) -> None:
        self.path = path
        open_store(path).close()  # create or migrate the file once, and fail here if it cannot be opened
        self._pool = concurrent.futures.ThreadPoolExecutor(threads, thread_name_prefix="daskflow-dashboard-read")
        self._local = threading.local()
        self._stores: list[RunStore] = []
        self._lock = threading.Lock()

    async def __call__(self, fn: Callable[[RunStore], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._run, fn)

    def _run(self, fn: Callable[[RunStore], T]) -> T:
        store: RunStore | None = getattr(self._local, "store", None)
        if store is None:
            store = self._local.store = open_store(self.path)
            with self._lock:
                self._stores.append(store)
        return fn(store)

    def close(self) -> None:
        """Wait for running reads, then close every thread's store."""
        self._pool.shutdown(wait=True)
        with self._lock:
            stores, self._stores = self._stores, []
        for store in stores:
            store.close()

    def __repr__(self) -> str:
        return f"StoreReader({self.path!r})"
