"""``LocalExecutor``: run a Dask graph in this process, synchronously or on threads.

Synchronous mode runs every node in the calling thread in dependency order,
inside ``submit``, so ``pdb`` works and tracebacks are plain. Thread mode
hands ready nodes to a thread pool and returns at once.

Bookkeeping, one ``_Entry`` per key:

* ``waiting`` counts unfinished dependencies; the entry runs when it is 0;
* ``holds`` counts live handles plus unfinished dependents; the value is freed
  when it drops to 0 after the entry finished, so intermediates do not pile up;
* a node that raises fails its dependents with the same error without
  running them, as Dask does.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from dask.task_spec import TaskRef

from . import events
from .base import Annotations, EventHandler, Executor, Graph, Handle, whole_handles

__all__ = ["LocalExecutor", "LocalHandle"]


class _Entry:
    __slots__ = (
        "cancelled",
        "dependents",
        "deps",
        "done",
        "error",
        "holds",
        "key",
        "node",
        "started",
        "value",
        "waiting",
    )

    def __init__(self, key: str, node: Any) -> None:
        self.key = key
        self.node = node
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = False
        self.started = False
        self.cancelled = False
        self.waiting = 0
        self.holds = 0
        self.deps: list[_Entry] = []
        self.dependents: list[_Entry] = []


class LocalHandle(TaskRef):
    """A handle to one key of a ``LocalExecutor``; dropping it lets the value be freed."""

    __slots__ = ("_entry", "_executor")

    def __init__(self, executor: LocalExecutor, entry: _Entry) -> None:
        super().__init__(entry.key)
        self._executor = executor
        self._entry = entry
        entry.holds += 1

    def __del__(self) -> None:
        executor = getattr(self, "_executor", None)
        if executor is not None:
            executor._drop(self._entry)

    def done(self) -> bool:
        return self._entry.done

    def result(self, timeout: float | None = None) -> Any:
        entry = self._entry
        if not self._executor._wait_done(entry, timeout):
            raise TimeoutError(f"key {entry.key!r} did not finish within {timeout} s")
        if entry.error is not None:
            raise entry.error
        return entry.value

    def exception(self, timeout: float | None = None) -> BaseException | None:
        if not self._executor._wait_done(self._entry, timeout):
            raise TimeoutError(f"key {self._entry.key!r} did not finish within {timeout} s")
        return self._entry.error

    def cancel(self) -> None:
        self._executor.cancel([self])

    def __repr__(self) -> str:
        status = "done" if self._entry.done else "pending"
        return f"<LocalHandle {self._entry.key!r} {status}>"


class LocalExecutor(Executor):
    """Runs graphs in the driver process: ``threads=0`` (default) runs synchronously.

    ``threads=N`` runs up to N nodes at once on a thread pool, which suits
    I/O-bound tasks and blocking calls in small flows.
    """

    def __init__(self, threads: int = 0) -> None:
        if not isinstance(threads, int) or threads < 0:
            raise ValueError(f"LocalExecutor(threads=...) takes a whole number >= 0, got {threads!r}")
        self.threads = threads
        self._topic = f"daskflow-local-{uuid.uuid4().hex[:12]}"
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.RLock()
        #: Notified whenever an entry finishes. One condition for all entries, not an Event
        #: per entry: creating those cost every task ~6 us, and most handles are never waited on.
        self._finished = threading.Condition(self._lock)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None

    def describe(self) -> str:
        return f"LocalExecutor(threads={self.threads})" if self.threads else "LocalExecutor(synchronous)"

    @property
    def event_topic(self) -> str:
        return self._topic

    def start(self) -> None:
        if self.threads and self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(self.threads, thread_name_prefix="daskflow-local")

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

    def subscribe(self, topic: str, handler: EventHandler) -> None:
        events.register_local(topic, handler)

    def unsubscribe(self, topic: str) -> None:
        events.unregister_local(topic)

    def submit(self, graph: Graph, keys: Sequence[str], annotations: Annotations | None = None) -> list[Handle]:
        self.start()
        ready: list[_Entry] = []
        with self._lock:
            new = {key: _Entry(key, node) for key, node in graph.items()}
            for entry in new.values():
                for dep_key in entry.node.dependencies:
                    dep = new.get(dep_key) or self._entries.get(dep_key)
                    if dep is None:
                        raise KeyError(f"node {entry.key!r} depends on unknown key {dep_key!r}")
                    entry.deps.append(dep)
                    dep.holds += 1
                    if not dep.done:
                        entry.waiting += 1
                        dep.dependents.append(entry)
                if entry.waiting == 0:
                    ready.append(entry)
            self._entries.update(new)
            handles: list[Handle] = [LocalHandle(self, self._entries[k]) for k in keys]
        if self.threads:
            for entry in ready:
                self._schedule(entry)
        else:
            self._run_synchronously(ready)
        return handles

    def _run_synchronously(self, ready: list[_Entry]) -> None:
        stack = list(reversed(ready))
        while stack:
            entry = stack.pop()
            stack.extend(reversed(self._execute(entry)))

    def _schedule(self, entry: _Entry) -> None:
        assert self._pool is not None
        self._pool.submit(self._run_in_pool, entry)

    def _run_in_pool(self, entry: _Entry) -> None:
        for dependent in self._execute(entry):
            self._schedule(dependent)

    def _execute(self, entry: _Entry) -> list[_Entry]:
        """Run one ready entry (or fail it from a failed dependency); return entries now ready."""
        with self._lock:
            if entry.cancelled or entry.done:
                return []
            entry.started = True
            failed_dep = next((d for d in entry.deps if d.error is not None), None)
        if failed_dep is not None:
            error: BaseException | None = failed_dep.error
            value = None
        else:
            try:
                value = entry.node({d.key: d.value for d in entry.deps})
                error = None
            except BaseException as exc:  # recorded and re-raised by result()
                # BaseException too (an interrupted run's TaskInterrupted): an entry that never
                # finishes would hang whoever waits on it. Ctrl-C still stops a synchronous run.
                ready = self._finish(entry, None, exc)
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                return ready
        return self._finish(entry, value, error)

    def _finish(self, entry: _Entry, value: Any, error: BaseException | None) -> list[_Entry]:
        with self._lock:
            entry.value, entry.error, entry.done = value, error, True
            entry.node = None
            for dep in entry.deps:
                self._release(dep)
            entry.deps = []
            now_ready = []
            for dependent in entry.dependents:
                dependent.waiting -= 1
                if dependent.waiting == 0:
                    now_ready.append(dependent)
            entry.dependents = []
            if entry.holds == 0:
                self._entries.pop(entry.key, None)
            self._finished.notify_all()
        return now_ready

    def _wait_done(self, entry: _Entry, timeout: float | None) -> bool:
        if entry.done:
            return True
        with self._finished:
            return self._finished.wait_for(lambda: entry.done, timeout)

    def _release(self, entry: _Entry) -> None:
        entry.holds -= 1
        if entry.holds == 0 and entry.done:
            self._entries.pop(entry.key, None)
            entry.value = None

    def _drop(self, entry: _Entry) -> None:
        with self._lock:
            self._release(entry)

    def wait(self, handles: Sequence[Handle], timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        for handle in whole_handles(handles):
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if not self._wait_done(_entry_of(handle), remaining):
                return False
        return True

    def gather(self, handles: Sequence[Handle]) -> list[Any]:
        return [h.result() for h in handles]

    def cancel(self, handles: Sequence[Handle]) -> None:
        cancelled: list[_Entry] = []
        with self._lock:
            stack = [_entry_of(h) for h in whole_handles(handles)]
            seen: set[int] = set()
            while stack:
                entry = stack.pop()
                if id(entry) in seen or entry.done or entry.started:
                    continue
                seen.add(id(entry))
                entry.cancelled = True
                cancelled.append(entry)
                stack.extend(entry.deps)
        for entry in cancelled:
            self._finish(entry, None, concurrent.futures.CancelledError(f"key {entry.key!r} was cancelled"))


def _entry_of(handle: Handle) -> _Entry:
    if not isinstance(handle, LocalHandle):
        raise TypeError(f"LocalExecutor got a handle it did not make: {handle!r}")
    return handle._entry
