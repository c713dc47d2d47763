"""``TaskFuture``, the lazy node a task call inside a flow returns, and its wrappers.

A ``TaskFuture`` holds its task, the argument template and its upstream
nodes until the next flush compiles it; then those are dropped and it keeps
only its key and, if user code still references it, the executor handle that
keeps its result alive. Asking for a value (``result``, ``wait``, mapping over
it) flushes first.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

from .errors import FlowDefinitionError
from .states import State

if TYPE_CHECKING:
    from executors import Handle

    from .engine import RunEngine
    from .tasks import Task

__all__ = ["TaskFuture", "allow_failure", "flatten", "unmapped"]

R = TypeVar("R")


class TaskFuture(Generic[R]):
    """A task call inside a flow: resolves to the task's value once the flow runs it."""

    __slots__ = ("__weakref__", "_allow", "_args", "_engine", "_fill", "_handle", "_kwargs", "_refs", "key",
                 "name", "task")

    def __init__(
        self,
        engine: RunEngine,
        task: Task[Any, R],
        key: str,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        refs: list[TaskFuture[Any]],
        allow: frozenset[int] | None,
        fill: bool,
    ) -> None:
        self._engine = engine
        self.task = task
        self.key = key
        self.name = name
        self._args: tuple[Any, ...] | None = args
        self._kwargs: dict[str, Any] | None = kwargs
        self._refs: list[TaskFuture[Any]] | None = refs
        self._allow = allow
        self._fill = fill
        self._handle: Handle | None = None

    def result(self, timeout: float | None = None) -> R:
        """Run what is pending, wait for this task, and return its value or raise its error."""
        return self._engine.value_of(self, timeout)  # type: ignore[no-any-return]

    def wait(self, timeout: float | None = None) -> State:
        """Run what is pending and wait until this task finished; return its state."""
        self._engine.wait_for_future(self, timeout)
        return self.state

    @property
    def state(self) -> State:
        """This task run's latest known state (Pending until it reports)."""
        return self._engine.state_of(self)

    def set_upstream(self, *upstream: Any) -> None:
        """Make this call wait for ``upstream`` calls (Prefect 1 style); it must not be submitted yet."""
        from .prefect1 import set_dependencies

        set_dependencies(self, upstream_tasks=upstream)

    def set_downstream(self, *downstream: Any) -> None:
        """Make ``downstream`` calls wait for this one (Prefect 1 style); they must not be submitted yet."""
        from .prefect1 import set_dependencies

        set_dependencies(self, downstream_tasks=downstream)

    def _misuse(self, what: str) -> NoReturn:
        message = (
            f"{what} of a TaskFuture for task {self.name!r} is not its value: the task has not run yet. "
            f"Call .result() to run it and get the value"
        )
        raise FlowDefinitionError(message)

    def __bool__(self) -> bool:
        self._misuse("bool()")

    def __len__(self) -> int:
        self._misuse("len()")

    def __iter__(self) -> Iterator[Any]:
        self._misuse("iterating")

    def __repr__(self) -> str:
        return f"<TaskFuture {self.name!r} key={self.key!r}>"


class unmapped:  # noqa: N801 - lower case like Prefect's, since users write it inline
    """Pass this argument whole to every mapped call instead of mapping over it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class flatten:  # noqa: N801 - lower case like Prefect's
    """In ``task.map(...)``: map over the concatenation of a list of lists instead of over the outer list.

    Takes a list of lists, a ``TaskFuture`` of one, or a list of ``TaskFuture``s
    of lists (the output of an earlier map).
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class allow_failure:  # noqa: N801
    """Pass the upstream task's ``State`` instead of its value, and run even if it failed.

    The downstream task then *handles* that failure: it no longer fails the flow run.
    """

    __slots__ = ("future",)

    def __init__(self, future: TaskFuture[Any]) -> None:
        if not isinstance(future, TaskFuture):
            raise FlowDefinitionError(f"allow_failure() takes a TaskFuture, got {type(future).__name__}")
        self.future = future


class MappedItem:
    """Item ``index`` of an upstream's result, for mapping over a future without fetching it."""

    __slots__ = ("future", "index")

    def __init__(self, future: TaskFuture[Any], index: int) -> None:
        self.future = future
        self.index = index
