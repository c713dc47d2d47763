"""``log_prints``: which ``print()`` calls become records of the run logger.

``run_logs.capture_prints`` does the routing (a context variable read by a
patched ``print``). This module applies the options to it, so the answer
does not depend on the executor: a task's prints are logged exactly when
*its own* ``log_prints`` is on, and a flow's ``log_prints`` covers its body
only. The second half matters on a synchronous ``LocalExecutor``, where
tasks run inside the body's thread and would otherwise inherit its capture.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from . import run_logs

__all__ = ["flow_prints", "task_prints"]

R = TypeVar("R")


@contextlib.contextmanager
def _released() -> Iterator[None]:
    token = run_logs._PRINT_TO.set(None)
    try:
        yield
    finally:
        run_logs._PRINT_TO.reset(token)


def task_prints(fn: Callable[..., R], log_prints: bool) -> Callable[..., R]:
    """``fn`` with its prints logged (``log_prints``) or left alone even inside a capturing caller."""
    if log_prints:
        scope: Callable[[], contextlib.AbstractContextManager[None]] = run_logs.capture_prints
    elif run_logs._PRINT_TO.get() is not None:
        scope = _released
    else:
        return fn

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> R:
        with scope():
            return fn(*args, **kwargs)

    return call


def flow_prints(body: Callable[[], R], log_prints: bool) -> Callable[[], R]:
    """The flow body, with its prints logged to the flow run's logger when ``log_prints``."""
    if not log_prints:
        return body

    @functools.wraps(body)
    def call() -> R:
        with run_logs.capture_prints():
            return body()

    return call
