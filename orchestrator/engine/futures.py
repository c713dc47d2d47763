"""``TaskFuture``, the lazy node a task call inside a flow returns, and its wrappers.

A ``TaskFuture`` holds its task, the argument template and its upstream
nodes until the next flush compiles it; then those are dropped and it keeps
only its key and, if user code still references it, the executor handle that
keeps its result alive. Asking for a value (``result``, ``wait``, mapping over
it) flushes first.

It is the engine's graph node, so it lives with the engine: the compiler reads
its fields, and its methods call the engine that made it. The argument markers
(``unmapped``, ``flatten``, ``allow_failure``) live here too, because the
template builder recognises them. ``link`` adds ordering-only edges between
nodes (``set_upstream`` / ``set_downstream``); the engine that owns the nodes
decides what an edge means (a Prefect 1 block records it, a run adds it to a
pending node).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from ..records.errors import FlowDefinitionError
from ..records.states import State
from ..worker.serialization import TaskLike

if TYPE_CHECKING:
    from executors import Handle

    from .fingerprints import SourceRef
    from .run_engine import RunEngine

__all__ = [
    "MappedItem",
    "NodeTask",
    "VALUE_OPERATIONS",
    "TaskFuture",
    "allow_failure",
    "collect_futures",
    "describe_operation",
    "flatten",
    "link",
    "replace_futures",
    "resolve_futures",
    "unmapped",
]

R = TypeVar("R")


class NodeTask(TaskLike, Protocol):
    """What the engine needs of a task to compile its calls: the worker's view plus its Dask annotations.

    ``orchestrator.authoring.tasks.Task`` is one; the engine never imports it.
    """

    #: Dask annotations for every call (priority, resources, tags), or None.
    annotations: Mapping[str, Any] | None
    #: The function's source as it was when the task was made, for its cache keys (engine.fingerprints).
    source: SourceRef | None


class TaskFuture(Generic[R]):
    """A task call inside a flow: resolves to the task's value once the flow runs it."""

    __slots__ = (
        "__weakref__",
        "_allow",
        "_args",
        "_engine",
        "_fill",
        "_handle",
        "_kwargs",
        "_refs",
        "key",
        "name",
        "task",
    )

    def __init__(
        self,
        engine: RunEngine,
        task: NodeTask,
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
        link(self._engine, self, upstream=upstream)

    def set_downstream(self, *downstream: Any) -> None:
        """Make ``downstream`` calls wait for this one (Prefect 1 style); they must not be submitted yet."""
        link(self._engine, self, downstream=downstream)

    # -- value questions --------------------------------------------------------
    # A TaskFuture is a placeholder for a value that does not exist yet, so every operation that
    # needs the value goes to its engine (``RunEngine.operate``): a flow run raises a TypeError that
    # says to call .result(), and a Prefect 1 block builds a task for it (``x + y``, ``a[0]``).
    # Only identity questions are answered here: futures compare and hash by identity, like
    # concurrent.futures, so they work in sets, dicts and ``in`` over a list of futures.

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TaskFuture):
            return self is other
        return self._engine.operate(self, "__eq__", (other,))  # type: ignore[no-any-return]

    def __ne__(self, other: object) -> bool:
        if isinstance(other, TaskFuture):
            return self is not other
        return self._engine.operate(self, "__ne__", (other,))  # type: ignore[no-any-return]

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<TaskFuture {self.name!r} key={self.key!r}>"


def _value_question(name: str) -> Any:
    def ask(self: TaskFuture[Any], *args: Any) -> Any:
        return self._engine.operate(self, name, args)

    ask.__name__ = name
    return ask


#: Operations that need a future's value: each goes to the future's engine (see TaskFuture).
VALUE_OPERATIONS: tuple[str, ...] = (
    "__bool__", "__len__", "__iter__", "__contains__", "__getitem__", "__str__", "__format__",
    "__int__", "__float__", "__complex__", "__index__", "__round__",
    "__lt__", "__le__", "__gt__", "__ge__",
    "__add__", "__sub__", "__mul__", "__matmul__", "__truediv__", "__floordiv__", "__mod__", "__pow__",
    "__lshift__", "__rshift__", "__and__", "__or__", "__xor__", "__divmod__",
    "__radd__", "__rsub__", "__rmul__", "__rmatmul__", "__rtruediv__", "__rfloordiv__", "__rmod__",
    "__rpow__", "__rlshift__", "__rrshift__", "__rand__", "__ror__", "__rxor__", "__rdivmod__",
    "__neg__", "__pos__", "__abs__", "__invert__",
)  # fmt: skip
for _name in VALUE_OPERATIONS:
    setattr(TaskFuture, _name, _value_question(_name))
del _name

_SYMBOLS = {
    "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "add": "+", "sub": "-", "mul": "*",
    "matmul": "@", "truediv": "/", "floordiv": "//", "mod": "%", "pow": "**", "lshift": "<<", "rshift": ">>",
    "and": "&", "or": "|", "xor": "^", "neg": "unary -", "pos": "unary +", "invert": "~",
}  # fmt: skip
_CALLS = {
    "bool": "bool() (an if, while, and/or/not)", "len": "len()", "iter": "iterating (a for loop, unpacking)",
    "contains": "`in`", "getitem": "indexing", "str": "str()", "format": "formatting (an f-string)",
    "divmod": "divmod()", "abs": "abs()", "round": "round()",
}  # fmt: skip


def describe_operation(name: str) -> str:
    """``"__add__"`` -> ``"the + operator"``: how an error message names an operation on a future."""
    bare = name.strip("_")
    if bare in _CALLS:
        return _CALLS[bare]
    if bare.startswith("r") and bare[1:] in _SYMBOLS:
        bare = bare[1:]
    if bare in _SYMBOLS:
        return f"the {_SYMBOLS[bare]} operator"
    return f"{bare}()"


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


def link(engine: RunEngine, target: Any, upstream: Iterable[Any] = (), downstream: Iterable[Any] = ()) -> None:
    """Make ``target`` wait for each of ``upstream`` and each of ``downstream`` wait for ``target``.

    ``engine.node_of`` says which node an item stands for (a call, or for a
    Prefect 1 block a task object or a ``Parameter``), and ``engine.depend``
    adds each edge.
    """
    node = engine.node_of(target)
    assert node is not None
    edges = [(node, up) for item in upstream if (up := engine.node_of(item)) is not None]
    edges += [(down, node) for item in downstream if (down := engine.node_of(item)) is not None]
    for later, earlier in edges:
        engine.depend(later, earlier)


def collect_futures(value: Any, out: list[TaskFuture[Any]]) -> None:
    """Append every ``TaskFuture`` inside ``value`` (through lists, tuples, sets and dict values) to ``out``."""
    if isinstance(value, TaskFuture):
        out.append(value)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            collect_futures(item, out)
    elif isinstance(value, dict):
        for item in value.values():
            collect_futures(item, out)


def resolve_futures(value: Any) -> Any:
    """``value`` with every ``TaskFuture`` inside it replaced by its result (running what is pending)."""
    found: list[TaskFuture[Any]] = []
    collect_futures(value, found)
    if not found:
        return value
    return replace_futures(value, {f.key: f.result() for f in found})


def replace_futures(value: Any, values: Mapping[str, Any]) -> Any:
    """``value`` with every ``TaskFuture`` in it replaced by ``values[key]`` (None when missing)."""
    if isinstance(value, TaskFuture):
        return values.get(value.key)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [replace_futures(v, values) for v in value]
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            return type(value)(*items)
        return type(value)(items)
    if isinstance(value, dict):
        return {k: replace_futures(v, values) for k, v in value.items()}
    return value
