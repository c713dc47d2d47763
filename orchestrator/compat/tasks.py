"""Prefect's ``@task`` and ``Task`` on daskflow's: one class for Prefect 1 and Prefect 2/3 code.

* ``@task(...)`` takes either generation's keywords (orchestrator.compat.keywords).
* ``class MyTask(Task): def run(self, x): ...`` is Prefect 1's class-based task:
  ``MyTask(name=..., max_retries=...)`` makes one, and ``run`` is its function.

How a call behaves depends on where it is made:

* inside a Prefect 3 ``@flow`` from this package, ``t(x)`` runs the task and
  returns its value, or raises its exception in the flow body (a timeout is a
  ``TimeoutError``); ``t(x, return_state=True)`` returns its ``State``;
  ``t.submit(x)`` returns a ``PrefectFuture`` and ``t.map(...)`` a
  ``PrefectFutureList``, without waiting;
* inside a Prefect 1 ``with Flow(...)`` block, or a native ``@flow``, calls
  build the graph as daskflow's own tasks do (``upstream_tasks=``,
  ``task_args=``, operators on results);
* outside any flow, the task runs at once and returns its value.

``async def`` tasks work too: their coroutine runs on the worker, in a loop of
its own. Called directly in an ``async def`` flow, such a task returns an
awaitable, submitted at once, so ``await asyncio.gather(t(1), t(2))`` runs the
calls side by side; a plain task called there returns its value, as in Prefect.

Futures, ``allow_failure``, ``quote`` and states in the arguments are unwrapped
first (orchestrator.compat.futures). A task whose ``log_prints`` is unset
follows its flow's, as in Prefect 3; ``task_run_name`` names each call,
formatted with its arguments.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar, overload

from ..authoring.tasks import Task as NativeTask
from ..engine.context import current_engine
from ..engine.futures import TaskFuture
from ..records.errors import FlowDefinitionError
from ..records.options import TaskOptions, make_options
from .calls import prefect_call
from .futures import PrefectFuture, PrefectFutureList, unwrap
from .keywords import task_keywords
from .states import from_native

__all__ = ["EAGER", "FLOW_LOG_PRINTS", "Task", "exponential_backoff", "task"]

P = ParamSpec("P")
R = TypeVar("R")

#: Set inside the body of a Prefect 3 style compat ``@flow``: direct task calls run and return values.
EAGER: contextvars.ContextVar[bool] = contextvars.ContextVar("daskflow_compat_eager", default=False)
#: The running compat flow's ``log_prints``, which tasks that leave theirs unset follow.
FLOW_LOG_PRINTS: contextvars.ContextVar[bool] = contextvars.ContextVar("daskflow_compat_log_prints", default=False)


class Task(NativeTask[P, R]):
    """A Prefect task (either generation); see the module docstring."""

    def __init__(self, fn: Callable[P, R] | None = None, /, **keywords: Any) -> None:
        if fn is None:
            if type(self).run is Task.run:
                message = "Task() needs a function (Task(fn=...)), or a subclass of Task that defines run(self, ...)"
                raise FlowDefinitionError(message)
            fn = self.run  # Prefect 1: the subclass's run method
            default = type(self).__name__
        else:
            default = getattr(fn, "__name__", None) or type(fn).__name__
        assert fn is not None
        name = keywords.get("name") or default
        who = f"task {name!r}"
        translated = task_keywords(who, keywords)
        options = make_options(TaskOptions, who, TaskOptions(name=name), {**translated.options, "name": name})
        call = prefect_call(fn)
        super().__init__(call, options)
        call.daskflow_task = self  # type: ignore[attr-defined]
        if translated.retry_condition is not None:
            translated.retry_condition.task = self
        #: Prefect 1 ``state_handlers(task, old_state, new_state)``, called on the worker.
        self.state_handlers = translated.state_handlers
        self.task_run_name = translated.task_run_name
        self.description = translated.description or (inspect.getdoc(fn) or None)
        self.version = translated.version
        #: ``async def``: called in an async flow, a call returns an awaitable.
        self.is_async = inspect.iscoroutinefunction(fn)
        self._follows_flow_prints = translated.inherit_log_prints
        self._printing: Task[P, R] | None = None

    def run(self, *args: Any, **kwargs: Any) -> Any:
        """Prefect 1: a subclass defines what the task does here."""
        raise NotImplementedError(f"{type(self).__name__} must define run(self, ...)")

    # -- calls ------------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return_state = bool(kwargs.pop("return_state", False))
        args, kwargs = unwrap(args), unwrap(kwargs)
        engine = current_engine()
        if engine is None:
            return self._run_outside_flows(args, kwargs, return_state)
        if not EAGER.get():
            return self._call(args, kwargs)  # a Prefect 1 block or a native flow builds its graph
        future = PrefectFuture(self._call(args, kwargs))
        if self.is_async and _loop_running():
            return _awaited(future, return_state)
        if return_state:
            return future.wait()
        return future.result()

    def submit(self, *args: Any, **kwargs: Any) -> Any:
        """Add the call to the running flow and return its future at once (a State with ``return_state=True``)."""
        return_state = bool(kwargs.pop("return_state", False))
        if current_engine() is None:
            raise FlowDefinitionError(f"task {self.name!r}: .submit() works inside a flow; call the task to run it now")
        future = PrefectFuture(self._call(unwrap(args), unwrap(kwargs)))
        return future.wait() if return_state else future

    def map(self, *args: Any, **kwargs: Any) -> Any:
        """One call per item; in a Prefect 3 flow a ``PrefectFutureList`` (not waited for)."""
        kwargs.pop("return_state", None)
        mapped = super().map(*unwrap(args), **unwrap(kwargs))
        if EAGER.get() and isinstance(mapped, list):
            return PrefectFutureList(PrefectFuture(f) for f in mapped)
        return mapped

    def bind(self, *args: Any, flow: Any = None, **kwargs: Any) -> Any:
        """Prefect 1's imperative API: add this call to ``flow`` (a ``with Flow`` block's flow)."""
        if flow is None:
            return self(*args, **kwargs)
        with flow:
            return self(*args, **kwargs)

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any], name: str | None = None) -> Any:
        task_args = kwargs.pop("task_args", None)
        kwargs.pop("mapped", None)
        target: Task[P, R] = self.with_options(**task_args) if task_args else self
        if target._follows_flow_prints and FLOW_LOG_PRINTS.get() and not target.options.log_prints:
            target = target._printing_copy()
        if target.task_run_name is not None:
            name = target._run_name(args, kwargs, name)
        return NativeTask._call(target, args, kwargs, name)

    def _run_outside_flows(self, args: tuple[Any, ...], kwargs: dict[str, Any], return_state: bool) -> Any:
        if not return_state:
            return self._call(args, kwargs)
        return from_native(self._run_now_state(args, kwargs))

    def _printing_copy(self) -> Task[P, R]:
        """This task with ``log_prints`` on (its flow's), made once."""
        if self._printing is None:
            self._printing = self._copy(dataclasses.replace(self.options, log_prints=True))
        return self._printing

    def _run_name(self, args: tuple[Any, ...], kwargs: dict[str, Any], default: str | None) -> str:
        template = self.task_run_name
        try:
            bound = inspect.signature(self.fn).bind_partial(*args, **kwargs).arguments
        except TypeError:
            bound = {}
        shown = {k: (f"<{v.name}>" if isinstance(v, TaskFuture) else v) for k, v in bound.items()}
        try:
            return str(template(**shown) if callable(template) else str(template).format(**shown))
        except (KeyError, IndexError, ValueError, TypeError):
            return default or self.name

    def with_options(self, **keywords: Any) -> Task[P, R]:
        """A copy with some options changed, given by their Prefect names."""
        who = f"task {self.name!r}"
        translated = task_keywords(who, keywords)
        copied = self._copy(make_options(TaskOptions, who, self.options, translated.options))
        if "state_handlers" in keywords:
            copied.state_handlers = translated.state_handlers
        copied._printing = None
        return copied

    def copy(self, **task_args: Any) -> Task[P, R]:
        """Prefect 1: a copy of this task, optionally with other keywords."""
        return self.with_options(**task_args)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


async def _awaited(future: PrefectFuture[Any], return_state: bool) -> Any:
    """An async task's call in an async flow: wait for it off the event loop, so other calls proceed."""
    wait = future.wait if return_state else future.result
    return await asyncio.get_running_loop().run_in_executor(None, wait)


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(**keywords: Any) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(fn: Callable[P, R] | None = None, /, **keywords: Any) -> Task[P, R] | Callable[[Callable[P, R]], Task[P, R]]:
    """Prefect's ``@task`` / ``@task(retries=3, ...)`` (either generation's keywords)."""
    if fn is not None:
        return Task(fn, **keywords)
    return lambda func: Task(func, **keywords)


def exponential_backoff(backoff_factor: float) -> Callable[[int], list[float]]:
    """Prefect 3's ``retry_delay_seconds=exponential_backoff(10)``: ``factor * 2**n`` seconds before retry n+1."""

    def delays(retries: int) -> list[float]:
        return [backoff_factor * 2**n for n in range(max(retries, 1))]

    return delays
