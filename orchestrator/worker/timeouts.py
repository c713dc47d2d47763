"""Enforcing a task's timeout, even when it blocks in ``time.sleep`` or a C call.

Dask has no per-task timeout, and none of the ways to add one is free. We run
the body of a task that has a ``timeout`` in a helper thread and wait for it
on the worker's own thread:

* at the deadline the worker thread stops waiting and the task ends
  ``TimedOut`` at once, so the flow goes on and the worker stays usable;
* the helper thread gets an asynchronous exception, which stops pure-Python
  code at its next bytecode; a blocking C call (``time.sleep``, socket reads)
  finishes first and the thread ends then. Until it does, it holds whatever
  the call holds, so a timeout does not free memory or locks at once.

A child process could be killed outright, but needs non-daemon workers and a
pickled payload per call; the thread costs about 50 µs and works everywhere.
Tasks without a timeout run directly, with no thread at all.
"""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable
from typing import Any

from ..records.errors import TaskTimedOut
from .interrupts import set_async_exc

__all__ = ["call_with_timeout"]


class _Abandoned(BaseException):
    """Raised asynchronously in an abandoned body; BaseException so user ``except Exception`` misses it."""


def _dask_thread_state() -> dict[str, Any] | None:
    if "distributed" not in sys.modules:
        return None
    from distributed.worker import thread_state  # type: ignore[attr-defined]

    return dict(vars(thread_state))


def call_with_timeout(
    fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float, task_name: str
) -> Any:
    """Return ``fn(*args, **kwargs)``, or raise ``TaskTimedOut`` once ``timeout`` seconds pass."""
    context = contextvars.copy_context()
    dask_state = _dask_thread_state()
    outcome: list[Any] = []
    finished = threading.Event()
    lock = threading.Lock()
    running = [True]

    def body() -> None:
        try:
            if dask_state is not None:
                # get_dask_client() and worker_client() read this thread-local.
                from distributed.worker import thread_state  # type: ignore[attr-defined]

                vars(thread_state).update(dask_state)
            try:
                outcome.append((True, context.run(fn, *args, **kwargs)))
            except _Abandoned:
                return
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
                outcome.append((False, exc))
            with lock:
                running[0] = False
            finished.set()
        except _Abandoned:
            return

    thread = threading.Thread(target=body, name=f"daskflow-timeout-{task_name}", daemon=True)
    thread.start()
    if not finished.wait(timeout):
        with lock:
            if running[0] and thread.ident is not None:
                set_async_exc(thread.ident, _Abandoned)
        if not finished.is_set():
            raise TaskTimedOut(task_name, timeout)
    ok, value = outcome[0]
    if ok:
        return value
    raise value
