"""``log_prints``: which ``print()`` calls become records of the run logger.

``builtins.print`` is replaced once per process (on first use) by a function
that checks a context variable: inside ``capture_prints()`` a print to stdout
becomes an INFO record of the current task's or flow's run logger, and with
``echo`` it is also printed as usual. Prints of other threads and tasks, and
prints with an explicit ``file=``, are untouched; nesting is harmless.

The options decide the scope, so the answer does not depend on the executor:
a task's prints are logged exactly when *its own* ``log_prints`` is on, and a
flow's ``log_prints`` covers its body only. The second half matters on a
synchronous ``LocalExecutor``, where tasks run inside the body's thread and
would otherwise inherit its capture.

``echo`` is on when the driver does not show run logs on its console
(``DASKFLOW_LOGGING_CONSOLE=0``): the printed text then still appears, once,
where the code runs. With the console on, the driver shows the record, once.
"""

from __future__ import annotations

import builtins
import contextlib
import contextvars
import functools
import io
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from .run_logs import RunLogger, get_run_logger

__all__ = ["capture_prints", "flow_prints", "task_prints"]

R = TypeVar("R")

#: Where prints of the current context go: (the run logger, echo too), or None to print as usual.
_PRINT_TO: contextvars.ContextVar[tuple[RunLogger, bool] | None] = contextvars.ContextVar(
    "daskflow_print_to", default=None
)
_ORIGINAL_PRINT = builtins.print
_PATCH_LOCK = threading.Lock()


def _print(
    *values: object, sep: str | None = " ", end: str | None = "\n", file: Any = None, flush: bool = False
) -> None:
    target = _PRINT_TO.get()
    if target is None or file is not None:
        _ORIGINAL_PRINT(*values, sep=sep, end=end, file=file, flush=flush)
        return
    logger, echo = target
    text = io.StringIO()
    _ORIGINAL_PRINT(*values, sep=sep, end="", file=text)
    logger.info(text.getvalue())
    if echo:
        _ORIGINAL_PRINT(*values, sep=sep, end=end, flush=flush)


@contextlib.contextmanager
def capture_prints(echo: bool = False) -> Iterator[None]:
    """Inside the current task or flow, make ``print()`` (to stdout) an INFO record of its run logger."""
    logger = get_run_logger()
    with _PATCH_LOCK:
        if builtins.print is not _print:
            builtins.print = _print
    token = _PRINT_TO.set((logger, echo))
    try:
        yield
    finally:
        _PRINT_TO.reset(token)


@contextlib.contextmanager
def _released() -> Iterator[None]:
    token = _PRINT_TO.set(None)
    try:
        yield
    finally:
        _PRINT_TO.reset(token)


def task_prints(fn: Callable[..., R], log_prints: bool, echo: bool = False) -> Callable[..., R]:
    """``fn`` with its prints logged (``log_prints``) or left alone even inside a capturing caller."""
    if log_prints:
        scope: Callable[[], contextlib.AbstractContextManager[None]] = functools.partial(capture_prints, echo)
    elif _PRINT_TO.get() is not None:
        scope = _released
    else:
        return fn

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> R:
        with scope():
            return fn(*args, **kwargs)

    return call


def flow_prints(body: Callable[[], R], log_prints: bool, echo: bool = False) -> Callable[[], R]:
    """The flow body, with its prints logged to the flow run's logger when ``log_prints``."""
    if not log_prints:
        return body

    @functools.wraps(body)
    def call() -> R:
        with capture_prints(echo):
            return body()

    return call
