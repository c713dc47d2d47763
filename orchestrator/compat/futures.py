"""Prefect 3's futures over daskflow's lazy ``TaskFuture``: ``result``, ``wait``, ``state``, ``as_completed``.

``t.submit(x)`` in a compat flow returns a ``PrefectFuture`` wrapping the
engine's ``TaskFuture``; ``t.map(...)`` a ``PrefectFutureList``. A future's
``result()`` flushes what is pending and waits, and when the task failed it
raises the task's own exception in the flow body. That failure then counts as
handled: it reached user code, and a flow that catches it can still complete
(Prefect 3's rule). ``result(raise_on_failure=False)`` returns the exception
instead.

``unwrap`` turns what a Prefect user passes to a task (these futures,
``allow_failure`` of them, ``quote``, Prefect states) into what daskflow's
compiler reads: ``TaskFuture``s and its markers. Futures keep the native rule
for value questions: ``future == 1`` raises a TypeError that says to call
``.result()``; identity comparisons and hashing work, so futures go in sets.
"""

from __future__ import annotations

import time
from collections import namedtuple
from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

from ..engine.futures import TaskFuture, unmapped
from ..engine.futures import allow_failure as native_allow_failure
from .states import State, from_native

__all__ = [
    "DoneAndNotDoneFutures",
    "PrefectFuture",
    "PrefectFutureList",
    "allow_failure",
    "as_completed",
    "quote",
    "unwrap",
    "wait",
]

R = TypeVar("R")

DoneAndNotDoneFutures = namedtuple("DoneAndNotDoneFutures", ["done", "not_done"])
#: How often ``as_completed`` looks again while nothing finished: short next to any real task.
_POLL = 0.05


class PrefectFuture(Generic[R]):
    """A submitted task call (Prefect 3's ``PrefectFuture``); see the module docstring."""

    __slots__ = ("future",)

    def __init__(self, future: TaskFuture[R]) -> None:
        self.future = future

    @property
    def task_run_id(self) -> str:
        return self.future.key

    @property
    def name(self) -> str:
        return self.future.name

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """Wait for the task and return its value; raise its exception if it failed (or return it)."""
        try:
            return self.future.result(timeout)
        except Exception as exc:
            if isinstance(exc, TimeoutError) and not self.future.state.is_final:
                raise  # the wait itself timed out: the task is still running
            # The failure reached user code: a flow that catches it may still complete (Prefect 3).
            self.future._engine.mark_handled(self.future.key)
            if raise_on_failure:
                raise
            return exc  # type: ignore[return-value]

    def wait(self, timeout: float | None = None) -> State:
        """Wait until the task finished (or ``timeout``); its state (Prefect 3 returns None, 2 the state)."""
        self.future._engine.wait_many([self.future], timeout)
        return self.state

    @property
    def state(self) -> State:
        native = self.future.state
        if native.is_failed:
            record = self.future._engine.run.task_runs.get(self.future.key)
            native.data = record.exception() if record is not None else None
        fetch = (lambda: self.future.result()) if native.is_completed else None
        return from_native(native, fetch)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PrefectFuture):
            return self.future is other.future
        return self.future == other  # the native rule: a value question raises

    def __hash__(self) -> int:
        return id(self.future)

    def __repr__(self) -> str:
        return f"PrefectFuture({self.future.name!r})"


class PrefectFutureList(list[PrefectFuture[R]]):
    """What ``t.map(...)`` returns: a list of futures that can also be waited on or resolved as one."""

    def wait(self, timeout: float | None = None) -> None:
        wait(list(self), timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> list[R]:
        return [f.result(timeout, raise_on_failure) for f in self]


def wait(futures: Iterable[PrefectFuture[Any]], timeout: float | None = None) -> DoneAndNotDoneFutures:
    """Wait until every future finished or ``timeout`` passed; ``(done, not_done)``, two sets."""
    unique = list(dict.fromkeys(futures))
    if not unique:
        return DoneAndNotDoneFutures(set(), set())
    engine = unique[0].future._engine
    finished = engine.wait_many([f.future for f in unique], timeout)
    done = {f for f, ok in zip(unique, finished) if ok}
    return DoneAndNotDoneFutures(done, set(unique) - done)


def as_completed(futures: Iterable[PrefectFuture[R]], timeout: float | None = None) -> Iterator[PrefectFuture[R]]:
    """Yield the futures as they finish; ``TimeoutError`` if some are still running after ``timeout``."""
    pending = list(dict.fromkeys(futures))
    deadline = None if timeout is None else time.monotonic() + timeout
    while pending:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise TimeoutError(f"{len(pending)} of the futures did not finish within {timeout} s")
        step = _POLL if remaining is None else min(_POLL, remaining)
        finished = wait(pending, step).done
        for future in [f for f in pending if f in finished]:
            pending.remove(future)
            yield future


class allow_failure:  # noqa: N801 - Prefect's name
    """Pass an upstream's result even if it failed (its exception is the value), and don't skip on it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class quote:  # noqa: N801 - Prefect's name
    """Pass a value as it is (Prefect skips looking inside it for futures; daskflow's look is cheap)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def unquote(self) -> Any:
        return self.value


def unwrap(value: Any) -> Any:
    """A Prefect user's argument as daskflow's compiler reads it; see the module docstring."""
    kind = type(value)
    if kind is PrefectFuture:
        return value.future
    if kind is PrefectFutureList:
        return [unwrap(v) for v in value]
    if kind is allow_failure or kind is native_allow_failure:
        inner = unwrap(value.value if kind is allow_failure else value.future)
        if isinstance(inner, list):
            return [native_allow_failure(f) for f in inner]
        return native_allow_failure(inner) if isinstance(inner, TaskFuture) else inner
    if kind is quote:
        return value.value
    if kind is unmapped:
        return unmapped(unwrap(value.value))
    if kind is State:
        return value.result(raise_on_failure=False)
    if kind in (list, tuple, set, frozenset):
        items = [unwrap(v) for v in value]
        return kind(items) if any(a is not b for a, b in zip(items, value)) else value
    if kind is dict:
        items_dict = {k: unwrap(v) for k, v in value.items()}
        return items_dict if any(items_dict[k] is not v for k, v in value.items()) else value
    return value
