"""Compiling lazy ``TaskFuture`` nodes into a Dask graph.

Two steps, one at each end of a node's life:

* ``build_template`` runs when a task is called inside a flow. It walks the
  arguments once, swapping each ``TaskFuture`` (or ``allow_failure`` /
  mapped item) for a ``Slot`` that indexes the node's upstream list, and
  wraps containers that hold slots in ``Deep``, so the worker only walks what
  needs filling. A value from a module shipped by value (a notebook's helper
  module) is wrapped in ``Shipped`` on the way, so it is cloudpickled on its
  own and the scheduler never needs that module (orchestrator.engine.shipping).
* ``compile_nodes`` runs at a flush. Each node becomes one
  ``dask.task_spec.Task`` whose callable is the state layer's ``run_task``,
  whose first argument is the small ``TaskCall`` record and whose further
  arguments reference the upstream keys: as a plain ``TaskRef`` inside the
  same flush, or as the executor's handle (itself a ``TaskRef``) for keys of
  an earlier flush. Nodes then drop their arguments and upstream links, so
  the driver keeps nothing of a compiled node that user code does not hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from types import FunctionType
from typing import Any, TypeVar

from dask.task_spec import Task, TaskRef

from ..records.errors import FlowDefinitionError
from ..worker.serialization import SCALAR_TYPES, TaskSpec
from ..worker.shipped import Shipped
from ..worker.state_layer import Deep, Slot, TaskCall, run_task
from .futures import MappedItem, NodeTask, TaskFuture, allow_failure, unmapped
from .shipping import ships

__all__ = ["Template", "build_template", "compile_nodes", "topological"]

T = TypeVar("T")

_CONTAINERS = (list, tuple, set, frozenset, dict)


class Template:
    """The argument template of one call and the upstream futures its slots index."""

    __slots__ = ("allow", "args", "fill", "kwargs", "refs")

    def __init__(self) -> None:
        self.refs: list[TaskFuture[Any]] = []
        self.allow: set[int] = set()
        self.fill = False
        self.args: tuple[Any, ...] = ()
        self.kwargs: dict[str, Any] = {}


def build_template(
    args: tuple[Any, ...],
    kwargs: Mapping[str, Any],
    wait_for: list[TaskFuture[Any]] | None = None,
    ship: bool = True,
) -> Template:
    """The argument template of one call; ``ship=False`` when the graph never leaves this process."""
    # A class, not nested closures: a recursive closure is a reference cycle that
    # would keep every upstream future alive until the garbage collector runs.
    return _TemplateBuilder(ship).build(args, kwargs, wait_for)


class _TemplateBuilder:
    __slots__ = ("index", "ship", "template")

    def __init__(self, ship: bool) -> None:
        self.template = Template()
        self.index: dict[tuple[int, bool], int] = {}
        self.ship = ship

    def build(
        self, args: tuple[Any, ...], kwargs: Mapping[str, Any], wait_for: list[TaskFuture[Any]] | None
    ) -> Template:
        template = self.template
        template.args = tuple(self.convert(a) for a in args)
        template.kwargs = {k: self.convert(v) for k, v in kwargs.items()}
        for future in wait_for or ():
            if isinstance(future, allow_failure):
                self.ref(future.future, True)  # waited for, even if it failed: left out of the trigger
            elif isinstance(future, TaskFuture):
                self.ref(future, False)
            else:
                message = (
                    "wait_for= takes TaskFutures from this flow (or allow_failure(future)), "
                    f"got {type(future).__name__}"
                )
                raise FlowDefinitionError(message)
        return template

    def ref(self, future: TaskFuture[Any], raw: bool) -> int:
        slot = self.index.get((id(future), raw))
        if slot is None:
            slot = self.index[(id(future), raw)] = len(self.template.refs)
            self.template.refs.append(future)
            if raw:
                self.template.allow.add(slot)
        return slot

    def convert(self, value: Any) -> Any:
        kind = type(value)
        if kind is TaskFuture:
            self.template.fill = True
            return Slot(self.ref(value, False))
        if kind is allow_failure:
            self.template.fill = True
            return Slot(self.ref(value.future, True))
        if kind is MappedItem:
            self.template.fill = True
            return Slot(self.ref(value.future, False), value.index)
        if kind is unmapped:
            return self.convert(value.value)
        if kind in _CONTAINERS:
            if kind is dict:
                items = {k: self.convert(v) for k, v in value.items()}
                changed = any(items[k] is not v for k, v in value.items())
                return Deep(items) if changed else value
            converted = [self.convert(v) for v in value]
            if any(c is not v for c, v in zip(converted, value)):
                return Deep(kind(converted))
            return value
        if kind in SCALAR_TYPES or not self.ship:  # the common case costs one set lookup
            return value
        owner = value.__module__ if isinstance(value, (FunctionType, type)) else kind.__module__
        if isinstance(owner, str) and ships(owner):
            self.template.fill = True
            return Shipped(value)
        return value


def compile_nodes(
    nodes: list[TaskFuture[Any]],
    spec_for: Callable[[NodeTask], TaskSpec],
) -> tuple[dict[str, Task], dict[str, Mapping[str, Any]], list[str]]:
    """Compile ``nodes`` (in creation order, so dependencies come first) into one graph.

    Returns the graph, the per-key Dask annotations, and the keys no other
    node of this graph depends on (the leaves, whose completion means the
    whole graph finished).
    """
    graph: dict[str, Task] = {}
    annotations: dict[str, Mapping[str, Any]] = {}
    has_dependent: set[str] = set()
    for node in nodes:
        refs: list[Any] = []
        for dep in node._refs or ():
            if dep._handle is not None:
                refs.append(dep._handle)
            elif dep.key in graph:
                refs.append(TaskRef(dep.key))
                has_dependent.add(dep.key)
            else:
                message = (
                    f"task {node.name!r} depends on {dep.name!r}, which belongs to another flow run or was "
                    "never submitted; pass values, not futures, between flow runs"
                )
                raise FlowDefinitionError(message)
        allow = frozenset(node._allow) if node._allow else None
        assert node._args is not None and node._kwargs is not None
        call = TaskCall(spec_for(node.task), node.key, node.name, node._args, node._kwargs, node._fill, allow)
        graph[node.key] = Task(node.key, run_task, call, *refs)
        if node.task.annotations:
            annotations[node.key] = node.task.annotations
        node._args = node._kwargs = node._refs = None
    leaves = [key for key in graph if key not in has_dependent]
    return graph, annotations, leaves


def topological(items: list[T], deps: Callable[[T], Iterable[T]], describe: Callable[[T], str]) -> list[T]:
    """``items`` with every item after its dependencies, otherwise in their given order (iterative DFS).

    A cycle is a ``FlowDefinitionError`` naming two of its items.
    """
    done: set[int] = set()
    visiting: set[int] = set()
    order: list[T] = []
    for root in items:
        if id(root) in done:
            continue
        visiting.add(id(root))
        stack: list[tuple[T, Iterator[T]]] = [(root, iter(deps(root)))]
        while stack:
            item, pending = stack[-1]
            for dep in pending:
                if id(dep) in done:
                    continue
                if id(dep) in visiting:
                    message = (
                        f"{describe(item)} and {describe(dep)} wait for each other (a cycle); "
                        "remove one of the set_upstream / upstream_tasks links"
                    )
                    raise FlowDefinitionError(message)
                visiting.add(id(dep))
                stack.append((dep, iter(deps(dep))))
                break
            else:
                stack.pop()
                visiting.discard(id(item))
                done.add(id(item))
                order.append(item)
    return order
