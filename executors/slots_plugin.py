"""Tag concurrency slots on a Dask cluster: the scheduler plugin that owns them, and the workers' limiter.

A module of its own because it subclasses ``distributed``'s ``SchedulerPlugin``:
only a started ``DaskExecutor`` (``enable_slots``) and tasks on Dask workers
import it. The plugin lives on the scheduler, so every client and run on the
cluster shares one ``SlotTable`` (``executors.slots``).

* **Acquiring.** A task asks the scheduler once (``daskflow_slots_acquire``,
  no waiting). If it must wait, it ``secede``\\ s, so its worker thread runs
  other tasks meanwhile, and asks again with a bounded wait until granted.
  It then runs in its own thread without rejoining the pool: a rejoin could
  wait for a pool thread while holding the slot, and deadlock against tasks
  waiting in those threads for that very slot. Extra threads are therefore
  the tasks holding slots (at most the limits) plus the waiters; so that a
  flood of waiters cannot grow a worker by thousands of threads, at most
  ``nthreads`` of a worker's waiters secede, and the rest wait in their
  pool thread (which makes Dask stop sending that worker more tasks). The
  holder is the run, the task key, the attempt and the worker, plus the
  Dask key actually processing (the same key unless tasks were fused).
* **Liveness comes from the scheduler's own view, never from the task.** A
  slot is freed when its attempt ends (``daskflow_slots_release``, sent
  without waiting), when its Dask key leaves ``processing`` (done, erred,
  cancelled, released: the ``transition`` hook), and at once when its worker
  is removed (``remove_worker``). A request is granted only while its key is
  processing on the worker that asks. Nothing needs refreshing, so a task
  that holds the GIL for minutes keeps its slot and overbooks nothing, as
  long as Dask keeps its worker (``distributed.scheduler.worker-ttl``).
* **Restarts.** The table lives in scheduler memory and nowhere else: a new
  scheduler process starts empty (the old run is Crashed with its
  scheduler), and ``Client.restart`` clears it (the ``restart`` hook), so
  no stale slot survives either. ``DaskExecutor`` registers the plugin on
  every new connection; registering is idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from distributed.diagnostics.plugin import SchedulerPlugin

from .slots import Lease, SlotRequest, SlotsUnavailable, SlotTable, SlotWaitAbandoned

__all__ = ["ConcurrencySlots", "DaskLimiter", "snapshot_on_scheduler", "worker_limiter"]

#: The longest a waiting task's request waits on the scheduler before it asks again (and checks cancellation).
WAIT = 2.0


class ConcurrencySlots(SchedulerPlugin):
    """The cluster's tag slots, on the scheduler; see the module docstring."""

    name = "daskflow-concurrency-slots"
    idempotent = True

    def __init__(self) -> None:
        self.scheduler: Any = None
        self.table = SlotTable()
        #: Dask key -> holder ids of the requests made while it was processing.
        self._by_key: dict[str, set[str]] = {}
        self._wakers: dict[str, asyncio.Event] = {}

    async def start(self, scheduler: Any) -> None:
        self.scheduler = scheduler
        scheduler.handlers.update(
            {
                "daskflow_slots_acquire": self.acquire,
                "daskflow_slots_release": self.release,
            }
        )

    # -- handlers ---------------------------------------------------------------

    async def acquire(self, holder: str, limits: dict[str, int], info: dict[str, Any], wait: float = 0.0) -> str:
        """``"granted"``, ``"waiting"`` (ask again) or ``"gone"`` (the task is not processing there any more)."""
        if not self._processing(info):
            self._drop(lambda r: r.holder == holder)
            return "gone"
        key = str(info.get("dask_key"))
        self._by_key.setdefault(key, set()).add(holder)
        if self.table.request(SlotRequest(holder, limits, info)):
            return "granted"
        if wait > 0:
            waker = self._wakers.setdefault(holder, asyncio.Event())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(waker.wait(), wait)
            self._wakers.pop(holder, None)
        return self.table.status(holder)

    def release(self, holder: str) -> None:
        self._drop(lambda r: r.holder == holder)

    # -- what the scheduler sees ------------------------------------------------

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        # Called for every transition of every task on the cluster: one comparison, one lookup.
        if start == "processing":
            holders = self._by_key.pop(str(key), None)
            if holders:
                self._drop(lambda r: r.holder in holders)

    def remove_worker(self, scheduler: Any, worker: str, **kwargs: Any) -> None:
        self._drop(lambda r: r.info.get("worker") == worker)

    def restart(self, scheduler: Any) -> None:
        self.table.clear()
        self._by_key.clear()
        for waker in self._wakers.values():
            waker.set()

    def _processing(self, info: Mapping[str, Any]) -> bool:
        task = self.scheduler.tasks.get(info.get("dask_key"))
        on = getattr(task, "processing_on", None)
        return task is not None and task.state == "processing" and on is not None and on.address == info.get("worker")

    def _drop(self, match: Callable[[SlotRequest], bool]) -> None:
        removed, granted = self.table.drop(match)
        for holder in [*removed, *(r.holder for r in granted)]:
            waker = self._wakers.get(holder)
            if waker is not None:
                waker.set()


# -- on the workers ---------------------------------------------------------------


class _DaskLease:
    __slots__ = ("_holder", "_released", "_worker")

    def __init__(self, worker: Any, holder: str) -> None:
        self._worker, self._holder, self._released = worker, holder, False

    def release(self) -> None:
        if not self._released:
            self._released = True
            # Without waiting: the task's end needs no answer, and the scheduler also frees the
            # slot when the key leaves processing, should this message be lost.
            self._worker.loop.add_callback(_send_release, self._worker, self._holder)


async def _send_release(worker: Any, holder: str) -> None:
    with contextlib.suppress(Exception):
        await worker.scheduler.daskflow_slots_release(holder=holder)


class _Seceded:
    """How many of this process's slot waiters seceded, so that at most ``nthreads`` do."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0

    def enter(self, cap: int) -> bool:
        with self._lock:
            if self._count >= cap:
                return False
            self._count += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self._count -= 1


_SECEDED = _Seceded()


class DaskLimiter:
    """Takes slots from the scheduler plugin, for a task running on this Dask worker."""

    def __init__(self, worker: Any) -> None:
        self.worker = worker

    def acquire(
        self,
        limits: Mapping[str, int],
        holder: Mapping[str, Any],
        on_wait: Callable[[], None],
        cancelled: Callable[[], bool],
    ) -> Lease:
        from distributed import secede

        worker = self.worker
        holder_id = uuid.uuid4().hex
        info = {**holder, "worker": worker.address, "dask_key": worker.get_current_task(), "since": time.time()}
        if self._ask(holder_id, limits, info, 0.0) == "granted":
            return _DaskLease(worker, holder_id)
        on_wait()
        seceded = _SECEDED.enter(int(getattr(worker, "nthreads", 1) or 1))
        if seceded:
            secede()  # the worker's thread runs other tasks while this one waits
        try:
            while True:
                status = self._ask(holder_id, limits, info, WAIT)
                if status == "granted":
                    return _DaskLease(worker, holder_id)
                if status == "gone" or cancelled():
                    _DaskLease(worker, holder_id).release()
                    raise SlotWaitAbandoned()
        finally:
            if seceded:
                _SECEDED.leave()

    def _ask(self, holder: str, limits: Mapping[str, int], info: Mapping[str, Any], wait: float) -> str:
        from distributed.utils import sync

        try:
            status = sync(
                self.worker.loop,
                self.worker.scheduler.daskflow_slots_acquire,
                holder=holder,
                limits=dict(limits),
                info=dict(info),
                wait=wait,
            )
        except Exception as exc:
            message = f"lost the Dask scheduler while asking it for concurrency slots ({type(exc).__name__}: {exc})"
            raise SlotsUnavailable(message) from exc
        if status not in ("granted", "waiting", "gone"):
            message = (
                "the Dask scheduler has no daskflow concurrency plugin (it restarted since the run began?); "
                "run the flow again"
            )
            raise SlotsUnavailable(message)
        return str(status)


def worker_limiter() -> DaskLimiter | None:
    """The limiter of the Dask worker running the current task; None outside a Dask worker."""
    from distributed.worker import get_worker

    try:
        return DaskLimiter(get_worker())
    except ValueError:
        return None


def snapshot_on_scheduler(dask_scheduler: Any) -> dict[str, dict[str, Any]]:
    """Run on the scheduler: the plugin's table (``SlotTable.snapshot``), or {} when it is not registered."""
    plugin = dask_scheduler.plugins.get(ConcurrencySlots.name)
    return plugin.table.snapshot() if isinstance(plugin, ConcurrencySlots) else {}
