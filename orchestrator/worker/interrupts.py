"""Stopping the task bodies of a cancelled flow run wherever they are running.

Cancelling a key in Dask releases it on the scheduler, but a task already
running in a worker thread runs on to the end, holding that thread. So when a
run is cancelled (the notebook kernel was interrupted, the flow timed out, its
body raised), the engine cancels the run's keys and then calls
``interrupt_run(run_id)`` in every worker process (``Executor.run_everywhere``):

* each task body registers its thread here while it runs (``begin`` / ``end``,
  called by ``run_logs.in_task_context`` around every attempt);
* ``interrupt_run`` raises ``TaskInterrupted`` asynchronously in the threads
  running that run's bodies (``PyThreadState_SetAsyncExc``, as timeouts do).
  Pure-Python code stops at its next bytecode and its ``finally`` blocks run;
  a blocking C call (``time.sleep(600)``, a socket read) returns first;
* the run is remembered as cancelled in that process, so an attempt that
  starts afterwards (a retry, a task the worker had already queued) stops at
  once.

The exception is raised only while the body is registered: ``end`` clears a
pending one under the same lock, so it can never hit the worker's own code
after the task. ``TaskInterrupted`` is a ``BaseException``, so a task's
``except Exception`` does not swallow it and the state layer lets it through
to Dask, which drops the result of the released key.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

__all__ = ["TaskInterrupted", "begin", "end", "interrupt_run", "is_cancelled", "set_async_exc"]

#: Cancelled run ids remembered per process, so late attempts stop too.
_REMEMBER = 1024

_lock = threading.Lock()
#: thread ident -> [run id, already interrupted]
_bodies: dict[int, list[Any]] = {}
_cancelled: OrderedDict[str, None] = OrderedDict()


class TaskInterrupted(BaseException):
    """Raised inside a task body when its flow run was cancelled; nothing to do but let it propagate.

    A ``BaseException`` so ``except Exception`` in task code does not catch it;
    clean up in ``finally`` or ``with`` blocks, which do run.
    """

    def __str__(self) -> str:
        return "the flow run was cancelled, so daskflow interrupted this task"

    def __reduce__(self) -> tuple[Any, ...]:
        return (TaskInterrupted, ())


def begin(run_id: str) -> None:
    """Register the current thread as running a body of ``run_id``; raise if that run was cancelled."""
    ident = threading.get_ident()
    with _lock:
        if run_id in _cancelled:
            raise TaskInterrupted()
        _bodies[ident] = [run_id, False]


def end() -> None:
    """Unregister the current thread, and drop an interrupt that was sent but not raised yet."""
    ident = threading.get_ident()
    with _lock:
        entry = _bodies.pop(ident, None)
        if entry is not None and entry[1]:
            set_async_exc(ident, None)


def is_cancelled(run_id: str) -> bool:
    """Whether ``run_id`` was cancelled in this process (a task waiting for a slot gives up then)."""
    with _lock:
        return run_id in _cancelled


def interrupt_run(run_id: str) -> int:
    """Interrupt every body of ``run_id`` running in this process; the number interrupted."""
    interrupted = 0
    with _lock:
        _cancelled[run_id] = None
        while len(_cancelled) > _REMEMBER:
            _cancelled.popitem(last=False)
        for ident, entry in _bodies.items():
            if entry[0] == run_id and not entry[1]:
                entry[1] = True
                set_async_exc(ident, TaskInterrupted)
                interrupted += 1
    return interrupted


def set_async_exc(ident: int, exc: type[BaseException] | None) -> None:
    """Raise ``exc`` in thread ``ident`` at its next bytecode; None clears a pending one."""
    import ctypes  # only when a call must be stopped: it costs every import of the package a millisecond

    target = ctypes.py_object(exc) if exc is not None else None
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), target)
