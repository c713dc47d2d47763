"""``@task``: wrap a function so calls inside a flow become lazy graph nodes.

Inside a flow, ``t(...)`` and ``t.submit(...)`` return a ``TaskFuture`` at
once and ``t.map(...)`` a list of them. Outside any flow, calling a task runs
it right away through the same state layer (retries and timeout apply) and
returns its value. ``t.fn`` is the undecorated function.

Inside ``with tags("db", ...):`` every call gets those tags too (Dask
annotations, concurrency limits). Inside ``case(...)`` blocks
(orchestrator.authoring.conditional) every call also waits for the blocks'
hidden condition nodes, and inside a Prefect 1
``with Flow(...)`` block calls and maps are recorded for replay
(orchestrator.authoring.prefect1), through the engine the block installs.
"""

from __future__ import annotations

import contextlib
import contextvars
import copy
import dataclasses
import functools
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, ParamSpec, TypeVar, overload

from ..engine.context import conditions_var, current_engine
from ..engine.fingerprints import SourceRef, capture_source
from ..engine.futures import MappedItem, TaskFuture, allow_failure, flatten, link, unmapped
from ..records.errors import FlowDefinitionError
from ..records.options import TaskOptions, make_options
from ..records.states import State
from ..worker.serialization import INLINE, TaskSpec

__all__ = ["Task", "pop_wait_for", "tags", "task"]

P = ParamSpec("P")
R = TypeVar("R")
TaskT = TypeVar("TaskT", bound="Task[Any, Any]")

_RESERVED = ("wait_for", "upstream_tasks")
_inline_counter = iter(range(1 << 62))
_inline_lock = threading.Lock()


class Task(Generic[P, R]):
    """A function made into a task; see the module docstring for how calls behave."""

    def __init__(self, fn: Callable[P, R], options: TaskOptions) -> None:
        if not callable(fn):
            raise FlowDefinitionError(f"@task decorates a function, got {type(fn).__name__}")
        self.fn = fn
        functools.update_wrapper(self, fn)
        #: The source as decorated, for cache keys: an edit made since does not change what runs.
        self.source: SourceRef | None = capture_source(fn)
        #: The task this one was copied from (``with_options``, ``tags``), or itself.
        self.origin: Task[Any, Any] = self
        self._set_options(options)

    def _set_options(self, options: TaskOptions) -> None:
        self.options = options
        self.name = options.name
        annotations: dict[str, Any] = {}
        if options.priority:
            annotations["priority"] = options.priority
        if options.resources:
            annotations["resources"] = dict(options.resources)
        if options.tags:
            annotations["tags"] = sorted(options.tags)
        #: Dask annotations for every call of this task (``None`` when there are none).
        self.annotations: Mapping[str, Any] | None = annotations or None
        #: Copies of this task with extra tags, one per tag set, made for calls inside ``tags(...)``.
        self._tagged: dict[frozenset[str], Task[P, R]] = {}

    def with_options(self, **changes: Any) -> Task[P, R]:
        """A copy of this task with some options changed."""
        return self._copy(make_options(TaskOptions, f"task {self.name!r}", self.options, changes))

    def _copy(self: TaskT, options: TaskOptions) -> TaskT:
        """This task with other options; subclasses keep their class and their own attributes."""
        copied = copy.copy(self)
        copied._set_options(options)
        copied.origin = self.origin
        return copied

    def _with_tags(self, extra: frozenset[str]) -> Task[P, R]:
        """This task with ``extra`` tags too; the same object for the same tags, so specs ship once per run."""
        if extra <= self.options.tags:
            return self
        tagged = self._tagged.get(extra)
        if tagged is None:
            tagged = self._tagged[extra] = self._copy(dataclasses.replace(self.options, tags=self.options.tags | extra))
        return tagged

    def __repr__(self) -> str:
        return f"<Task {self.name!r}>"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self._call(args, kwargs)  # type: ignore[no-any-return]

    def submit(self, *args: P.args, **kwargs: P.kwargs) -> TaskFuture[R]:
        """Add a call to the current flow and return its ``TaskFuture``."""
        engine = current_engine()
        if engine is None:
            message = f"task {self.name!r}: .submit() works inside a flow; call the task directly to run it now"
            raise FlowDefinitionError(message)
        return self._call(args, kwargs)  # type: ignore[no-any-return]

    def set_upstream(self, *upstream: Any, flow: Any = None) -> None:
        """Prefect 1: add this task to the ``with Flow(...)`` block (or ``flow=``) after ``upstream``."""
        link(self._block_engine(flow), self, upstream=upstream)

    def set_downstream(self, *downstream: Any, flow: Any = None) -> None:
        """Prefect 1: add this task to the ``with Flow(...)`` block (or ``flow=``) before ``downstream``."""
        link(self._block_engine(flow), self, downstream=downstream)

    def _block_engine(self, flow: Any) -> Any:
        """The engine building ``flow`` (a ``with Flow(...)`` block), else the one building the current block."""
        engine = getattr(flow, "recorder", None) if flow is not None else current_engine()
        if engine is None:
            raise FlowDefinitionError(
                f"task {self.name!r}: set_upstream/set_downstream with task objects works inside `with Flow(...)`"
            )
        return engine

    def _call(self, args: tuple[Any, ...], kwargs: dict[str, Any], name: str | None = None) -> Any:
        wait_for = pop_wait_for(self.name, kwargs)
        conditions = conditions_var.get()
        if conditions:
            wait_for = [*(wait_for or ()), *conditions]
        engine = current_engine()
        extra = _TAGS.get()
        task = self._with_tags(extra) if extra else self
        if engine is None:
            if wait_for:
                raise FlowDefinitionError(f"task {self.name!r}: wait_for= only means something inside a flow")
            return task._run_now(args, kwargs)
        return engine.add(task, args, kwargs, wait_for, name or self.name)

    def _run_now(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> R:
        return self._run_now_state(args, kwargs).result()  # type: ignore[no-any-return]

    def _run_now_state(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> State:
        """Run one call here and now, through the state layer; its final State."""
        with _inline_lock:
            token = f"inline-{next(_inline_counter)}"
        from ..worker.state_layer import run_inline  # like the engine: loaded on first use, not at import

        return run_inline(TaskSpec.build(token, self, INLINE), self.name, args, kwargs)

    def map(self, *args: Any, **kwargs: Any) -> list[Any]:
        """One call per item of the iterable arguments; wrap an argument in ``unmapped`` to pass it whole.

        Mapping over a ``TaskFuture`` runs what is pending and waits for it
        first, since the number of calls depends on its value.
        """
        engine = current_engine()
        if engine is not None:
            # A Prefect 1 block records the whole map: its length may exist only at run time.
            recorded = engine.record_map(self, args, kwargs)
            if recorded is not None:
                return recorded  # type: ignore[return-value]
        wait_for = kwargs.pop("wait_for", None)
        upstream = kwargs.pop("upstream_tasks", None)
        columns: list[tuple[int | str, list[Any] | None, Any]] = []
        lengths: dict[str, int] = {}
        positions: list[tuple[int | str, Any]] = [*enumerate(args), *kwargs.items()]
        for position, value in positions:
            items = self._map_items(engine, position, value)
            columns.append((position, items, value))
            if items is not None:
                lengths[str(position)] = len(items)
        if not lengths:
            message = (
                f"task {self.name!r}: .map() needs at least one iterable argument to map over "
                "(lists, tuples, ranges or a TaskFuture of one)"
            )
            raise FlowDefinitionError(message)
        if len(set(lengths.values())) > 1:
            shown = ", ".join(f"argument {p}: {n}" for p, n in lengths.items())
            raise FlowDefinitionError(f"task {self.name!r}: .map() arguments differ in length ({shown})")
        count = next(iter(lengths.values()))
        results = []
        for i in range(count):
            call_args: list[Any] = []
            call_kwargs: dict[str, Any] = {}
            for position, items, value in columns:
                item = items[i] if items is not None else value
                if isinstance(position, int):
                    call_args.append(item)
                else:
                    call_kwargs[position] = item
            if wait_for is not None:
                call_kwargs["wait_for"] = wait_for
            if upstream is not None:
                call_kwargs["upstream_tasks"] = upstream
            if engine is None:
                results.append(self._run_now(tuple(call_args), call_kwargs))
            else:
                results.append(self._call(tuple(call_args), call_kwargs, f"{self.name}[{i}]"))
        return results

    def _map_items(self, engine: Any, position: int | str, value: Any) -> list[Any] | None:
        """The items mapped over for one argument, or None if it is passed whole."""
        if isinstance(value, unmapped):
            return None
        if isinstance(value, flatten):
            inner = value.value
            if isinstance(inner, TaskFuture) or (
                isinstance(inner, (list, tuple)) and any(isinstance(v, TaskFuture) for v in inner)
            ):
                if engine is None:
                    raise FlowDefinitionError(f"task {self.name!r}: flatten() of TaskFutures works inside a flow")
                # Concatenate on the cluster, then map over that one future by its length alone.
                value = _CONCAT._call((inner,), {}, f"flatten[{self.name}]")
            else:
                return [item for sub in inner for item in sub]
        if isinstance(value, TaskFuture):
            length = engine.length_of(value)
            if length is None:
                return list(value.result())
            return [MappedItem(value, i) for i in range(length)]
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
            return None
        return list(value)


_TAGS: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar("daskflow_tags", default=frozenset())


@contextlib.contextmanager
def tags(*names: str) -> Iterator[None]:
    """``with tags("db", "nightly"):`` -- every task call inside the block gets these tags too.

    Blocks nest (the tags add up). Tags become Dask annotations of the calls,
    like ``@task(tags=...)``.
    """
    if not all(isinstance(n, str) and n for n in names):
        raise FlowDefinitionError(f"tags() takes tag names as non-empty strings, got {names!r}")
    token = _TAGS.set(_TAGS.get() | frozenset(names))
    try:
        yield
    finally:
        _TAGS.reset(token)


def pop_wait_for(name: str, kwargs: dict[str, Any]) -> list[TaskFuture[Any]] | None:
    """Take ``wait_for=`` and ``upstream_tasks=`` out of a call's keyword arguments, as one list."""
    found: list[TaskFuture[Any]] | None = None
    for reserved in _RESERVED:
        value = kwargs.pop(reserved, None)
        if value is None:
            continue
        if isinstance(value, (TaskFuture, allow_failure)):
            value = [value]
        if not isinstance(value, (list, tuple, set)):
            raise FlowDefinitionError(
                f"task {name!r}: {reserved}= takes a list of TaskFutures, got {type(value).__name__}"
            )
        found = [*(found or []), *value]
    return found


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(*, name: str | None = None, **options: Any) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(fn: Callable[P, R] | None = None, /, **options: Any) -> Task[P, R] | Callable[[Callable[P, R]], Task[P, R]]:
    """Make a function a task: ``@task`` or ``@task(retries=3, timeout=30, ...)``.

    The options are the fields of ``TaskOptions``: name, retries, retry_delay,
    retry_jitter, retry_on, timeout, trigger, tags, resources, priority,
    log_prints, the hooks, and cache, cache_key_fn, cache_expiration,
    refresh_cache, persist_result and cache_version.
    """

    def decorate(func: Callable[P, R]) -> Task[P, R]:
        name = options.get("name") or getattr(func, "__name__", None) or type(func).__name__
        built = make_options(TaskOptions, f"task {name!r}", TaskOptions(name=name), {**options, "name": name})
        return Task(func, built)

    if fn is not None:
        return decorate(fn)
    return decorate


def _concat(lists: Iterable[Iterable[Any]]) -> list[Any]:
    return [item for sub in lists for item in sub]


#: The hidden task behind ``flatten(future)`` in ``task.map``.
_CONCAT: Task[[Iterable[Iterable[Any]]], list[Any]] = Task(_concat, TaskOptions(name="flatten"))
