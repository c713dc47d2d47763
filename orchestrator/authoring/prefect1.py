"""Prefect 1 authoring: ``with Flow("name") as flow:`` blocks, ``Parameter`` and set_upstream.

A block builds a graph without running anything, and every run replays it
through the ordinary engine, so both authoring styles share one data path:

* **Record.** Inside ``with Flow(...)``, ``engine_var`` holds a
  ``BlockRecorder``. Task calls (and ``task.map``, ``case``, ``merge``...)
  reach it like they reach a ``RunEngine``, but it only appends an ``_Op`` and
  hands back a *placeholder* ``TaskFuture`` that the block's later calls may
  use as arguments, ``upstream_tasks=`` or with ``set_upstream``.
* **Replay.** ``flow.run(parameters=..., executor=...)`` is ``Flow.run`` on a
  body that replays the ops in dependency order inside a real ``RunEngine``:
  placeholders become that run's ``TaskFuture``s and ``Parameter``s become
  the validated parameter values, so a block flow is a ``@flow`` in every
  respect (one lazy graph, maps, conditions, hooks, the run store, compile,
  visualize, use as a subflow). Maps are recorded whole and replayed as
  ``task.map``, because their length may exist only at run time.

Run without an executor, a block flow uses a synchronous ``LocalExecutor``,
like Prefect 1's own ``flow.run()``: the flow runs in this process and its
tasks' ``print()`` output appears here, in dependency order.
``set_upstream`` / ``set_downstream`` also work on pending calls in ``@flow``
bodies (the run engine's ``depend`` reorders its pending nodes).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from executors import Executor, LocalExecutor

from ..engine.context import conditions_var, current_engine, engine_var
from ..engine.futures import (
    VALUE_OPERATIONS,
    NodeTask,
    TaskFuture,
    allow_failure,
    describe_operation,
    flatten,
    link,
    unmapped,
)
from ..engine.graph import topological
from ..engine.run_engine import RunEngine
from ..records.errors import FlowDefinitionError
from ..records.options import FlowOptions, make_options
from ..records.runs import FlowRun
from . import block_operators
from .flows import Flow
from .parameters import ParameterValidator
from .tasks import Task, pop_wait_for

if TYPE_CHECKING:
    from executors import Handle

__all__ = ["BlockRecorder", "FlowBlock", "Parameter"]

_MISSING: Any = type("_Missing", (), {"__repr__": lambda self: "<required>"})()


class Parameter:
    """A flow parameter in a ``with Flow(...)`` block: replaced by its value when the flow runs.

    ``Parameter("n")`` is required; ``Parameter("n", default=3)`` is not
    (``required=True`` makes it required anyway). Pass values with
    ``flow.run(parameters={"n": 5})``.
    """

    def __init__(self, name: str, default: Any = _MISSING, required: bool | None = None) -> None:
        if not isinstance(name, str) or not name.isidentifier():
            message = f"Parameter name must be a Python identifier such as 'batch_size', got {name!r}"
            raise FlowDefinitionError(message)
        self.name = name
        self.default = default
        self.required = default is _MISSING if required is None else required
        engine = current_engine()
        if isinstance(engine, BlockRecorder):
            engine.block._add_parameter(self)

    def __repr__(self) -> str:
        shown = "required" if self.required else f"default={self.default!r}"
        return f"<Parameter {self.name!r} {shown}>"

    # A Parameter has no value until the flow runs: in a block its operators build tasks, like a
    # call's placeholder (orchestrator.authoring.block_operators); elsewhere they raise.
    def __eq__(self, other: object) -> bool:
        return self is other if isinstance(other, Parameter) else self._operate("__eq__", (other,))

    def __ne__(self, other: object) -> bool:
        return self is not other if isinstance(other, Parameter) else self._operate("__ne__", (other,))

    def __hash__(self) -> int:
        return id(self)

    def _operate(self, operation: str, args: tuple[Any, ...]) -> Any:
        engine = current_engine()
        if isinstance(engine, BlockRecorder):
            return engine.operate(self, operation, args)
        message = (
            f"{describe_operation(operation)} on Parameter {self.name!r} needs its value, which exists only when "
            "its flow runs: use it inside a `with Flow(...)` block, or in a task"
        )
        raise FlowDefinitionError(message)


def _parameter_operation(name: str) -> Any:
    def operate(self: Parameter, *args: Any) -> Any:
        return self._operate(name, args)

    operate.__name__ = name
    return operate


for _name in VALUE_OPERATIONS:
    setattr(Parameter, _name, _parameter_operation(_name))
del _name


class _Op:
    """One recorded call (or whole map) of a block, and the placeholder it returned."""

    __slots__ = ("args", "future", "kind", "kwargs", "name", "task", "wait_for")

    def __init__(
        self,
        kind: Literal["call", "map"],
        task: Task[Any, Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        wait_for: list[Any],
        name: str,
        future: TaskFuture[Any],
    ) -> None:
        self.kind, self.task, self.args, self.kwargs = kind, task, args, kwargs
        self.wait_for, self.name, self.future = wait_for, name, future


class _Graph:
    """What a block recorded; shared by a ``FlowBlock`` and its ``with_options`` copies."""

    def __init__(self) -> None:
        self.ops: list[_Op] = []
        self.op_of: dict[TaskFuture[Any], _Op] = {}
        self.parameters: dict[str, Parameter] = {}
        self.task_nodes: dict[Task[Any, Any], TaskFuture[Any]] = {}


class BlockRecorder(RunEngine):
    """Stands in for the run engine inside ``with Flow(...)``: records calls instead of building nodes."""

    def __init__(self, block: FlowBlock) -> None:
        super().__init__(block.name, {}, None, compile_only=True)
        self.block = block

    def add(
        self,
        task: NodeTask,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        wait_for: list[TaskFuture[Any]] | None,
        name: str,
    ) -> TaskFuture[Any]:
        assert isinstance(task, Task)  # only Task objects make calls
        return self.block._record("call", task, args, dict(kwargs), list(wait_for or ()), name)

    def record_map(self, task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TaskFuture[Any]:
        kwargs = dict(kwargs)
        wait_for = [*(pop_wait_for(task.name, kwargs) or ()), *conditions_var.get()]
        return self.block._record("map", task, args, kwargs, wait_for, task.name)

    def node_of(self, item: Any) -> TaskFuture[Any] | None:
        """In a block, a task object is its one no-argument call, and a Parameter needs no waiting."""
        if isinstance(item, Parameter):
            return None  # a value, known before anything runs
        if isinstance(item, Task):
            return self.block._node_of(item)
        return super().node_of(item)

    def operate(self, future: Any, operation: str, args: tuple[Any, ...]) -> Any:
        """Operators on placeholders (and Parameters) build tasks (orchestrator.authoring.block_operators)."""
        nout = future.task.options.nout if isinstance(future, TaskFuture) else None
        return block_operators.build(future, operation, args, nout)

    def depend(self, downstream: TaskFuture[Any], upstream: TaskFuture[Any]) -> None:
        if upstream._engine is not self or downstream._engine is not self:
            message = f"{downstream.name!r} cannot wait for {upstream.name!r}: they belong to different flows or runs"
            raise FlowDefinitionError(message)
        self.block._graph.op_of[downstream].wait_for.append(upstream)

    def flush(self) -> None:
        """Nothing runs while a block is being built."""

    def _handle_of(self, future: TaskFuture[Any]) -> Handle:
        message = (
            f"task {future.name!r} has no value yet: inside `with Flow({self.block.name!r})` the graph is only "
            "being built. Run it with flow.run(); the FlowRun's task_runs hold each task's state"
        )
        raise FlowDefinitionError(message)


def _leaves(value: Any) -> Iterator[Any]:
    """The placeholders and Parameters inside an argument, however nested."""
    kind = type(value)
    if kind is TaskFuture or kind is Parameter:
        yield value
    elif kind is unmapped or kind is flatten:
        yield from _leaves(value.value)
    elif kind is allow_failure:
        yield value.future
    elif kind in (list, tuple, set, frozenset):
        for item in value:
            yield from _leaves(item)
    elif kind is dict:
        for item in value.values():
            yield from _leaves(item)


def _substitute(value: Any, real: Mapping[TaskFuture[Any], Any], params: Mapping[str, Any]) -> Any:
    """An argument with placeholders swapped for this run's futures and Parameters for values."""
    kind = type(value)
    if kind is TaskFuture:
        return real[value]
    if kind is Parameter:
        return params[value.name]
    if kind is unmapped:
        return unmapped(_substitute(value.value, real, params))
    if kind is flatten:
        return flatten(_substitute(value.value, real, params))
    if kind is allow_failure:
        return allow_failure(real[value.future])
    if kind in (list, tuple, set, frozenset):
        return kind(_substitute(v, real, params) for v in value)
    if kind is dict:
        return {k: _substitute(v, real, params) for k, v in value.items()}
    return value


class FlowBlock(Flow[..., Any]):
    """A flow built Prefect 1 style, by calling tasks inside ``with Flow("name") as flow:``.

    ``Flow("name", **options)`` makes one; the options are those of ``@flow``
    (executor, timeout, log_prints, hooks). ``flow.run(parameters={...},
    executor=...)`` returns the ``FlowRun``, whose ``value`` maps each terminal
    call of the block (its placeholder) to that call's value.
    """

    @property
    def recorder(self) -> BlockRecorder:
        """The engine that records this block's calls (what ``task.set_upstream(..., flow=)`` links through)."""
        return self._recorder

    #: Whether a run returns the value of every call, not just the terminal ones (Prefect 1's
    #: flow.run() kept every result; compat flows need them for ``state.result[task]``).
    returns_every_call = False

    def __init__(self, name: str, **options: Any) -> None:
        if not isinstance(name, str) or not name:
            raise FlowDefinitionError(f'Flow("name") takes the flow\'s name as a non-empty string, got {name!r}')
        built = make_options(FlowOptions, f"flow {name!r}", FlowOptions(name=name), {**options, "name": name})
        super().__init__(self._replay, built)
        self._graph = _Graph()
        self._recorder = BlockRecorder(self)
        self._tokens: list[Any] = []
        self._refresh_parameters()

    def __repr__(self) -> str:
        return f"<Flow {self.name!r}: {len(self._graph.ops)} recorded call(s)>"

    # -- building ---------------------------------------------------------------

    def __enter__(self) -> FlowBlock:
        if current_engine() is not None and not isinstance(current_engine(), BlockRecorder):
            message = f"`with Flow({self.name!r})` builds a flow; it cannot be used inside a running flow"
            raise FlowDefinitionError(message)
        self._tokens.append(engine_var.set(self._recorder))
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        engine_var.reset(self._tokens.pop())

    def _record(
        self,
        kind: Literal["call", "map"],
        task: Task[Any, Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        wait_for: list[Any],
        name: str,
    ) -> TaskFuture[Any]:
        graph = self._graph
        # Prefect 1: a task object passed itself, not called, stands for its (one) call's result.
        args = tuple(self._node_of(a) if isinstance(a, Task) else a for a in args)
        kwargs = {k: self._node_of(v) if isinstance(v, Task) else v for k, v in kwargs.items()}
        wait_for = [self._node_of(w) if isinstance(w, Task) else w for w in wait_for]
        for leaf in _leaves((args, kwargs, wait_for)):
            if isinstance(leaf, Parameter):
                self._add_parameter(leaf)
            elif leaf not in graph.op_of:
                message = (
                    f"task {name!r} in `with Flow({self.name!r})` got {leaf.name!r}, which was not made in "
                    "this block; use calls from the same block (or pass plain values)"
                )
                raise FlowDefinitionError(message)
        key = f"{task.name}-block-{len(graph.ops)}"
        future: TaskFuture[Any] = TaskFuture(self._recorder, task, key, name, (), {}, [], None, False)
        op = _Op(kind, task, args, kwargs, wait_for, name, future)
        graph.ops.append(op)
        graph.op_of[future] = op
        return future

    def _add_parameter(self, parameter: Parameter) -> None:
        known = self._graph.parameters.get(parameter.name)
        if known is parameter:
            return
        if known is not None:
            message = f"flow {self.name!r} already has a Parameter named {parameter.name!r}; reuse that object"
            raise FlowDefinitionError(message)
        self._graph.parameters[parameter.name] = parameter
        self._refresh_parameters()

    def _refresh_parameters(self) -> None:
        """Validate run parameters like a ``@flow`` signature would: one keyword per Parameter."""

        def signature_only(**params: Any) -> None: ...

        signature_only.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [
                inspect.Parameter(
                    p.name, inspect.Parameter.KEYWORD_ONLY, default=inspect.Parameter.empty if p.required else p.default
                )
                for p in self._graph.parameters.values()
            ]
        )
        self.parameters = ParameterValidator(self.name, signature_only)

    def _node_of(self, task: Task[Any, Any]) -> TaskFuture[Any]:
        """Prefect 1: a task object used in set_dependencies is one node of the flow, called with no arguments."""
        node = self._graph.task_nodes.get(task)
        if node is None:
            with self:
                node = self._graph.task_nodes[task] = task._call((), {})
        return node

    def terminal_calls(self) -> list[TaskFuture[Any]]:
        """The calls no other call uses (as arguments or upstreams): Prefect 1's default reference tasks."""
        used = {id(leaf) for op in self._graph.ops for leaf in _leaves((op.args, op.kwargs, op.wait_for))}
        return [op.future for op in self._graph.ops if id(op.future) not in used]

    def add_task(self, task: Task[Any, Any]) -> TaskFuture[Any]:
        """Prefect 1: add ``task`` (called with no arguments) to the flow; returns its call."""
        return self._node_of(task)

    def set_dependencies(
        self,
        task: Task[Any, Any] | TaskFuture[Any],
        upstream_tasks: Iterable[Any] = (),
        downstream_tasks: Iterable[Any] = (),
        keyword_tasks: Mapping[str, Any] | None = None,
    ) -> TaskFuture[Any]:
        """Prefect 1's imperative API: add ``task`` with its upstreams, downstreams and keyword arguments."""
        node: TaskFuture[Any]
        if keyword_tasks and isinstance(task, Task):
            with self:
                node = task._call((), dict(keyword_tasks))
        elif isinstance(task, Task):
            node = self._node_of(task)
        else:
            node = task
        link(self._recorder, node, upstream=upstream_tasks, downstream=downstream_tasks)
        return node

    # -- running ----------------------------------------------------------------

    def _replay(self, **params: Any) -> dict[TaskFuture[Any], Any]:
        """The body of every run: the recorded ops, in dependency order, against the current engine."""
        graph = self._graph

        def deps(op: _Op) -> Iterator[_Op]:
            for leaf in _leaves((op.args, op.kwargs, op.wait_for)):
                if type(leaf) is TaskFuture:
                    yield graph.op_of[leaf]

        real: dict[TaskFuture[Any], Any] = {}
        used: set[TaskFuture[Any]] = set()
        for op in topological(graph.ops, deps, lambda op: repr(op.name)):
            args = _substitute(op.args, real, params)
            kwargs = _substitute(op.kwargs, real, params)
            wait_for: list[Any] = []
            for item in op.wait_for:
                if isinstance(item, Parameter):
                    continue  # a value, known before anything runs: nothing to wait for
                allowed = isinstance(item, allow_failure)
                value = real[item.future if allowed else item]
                for future in value if isinstance(value, list) else [value]:
                    wait_for.append(allow_failure(future) if allowed else future)
            for leaf in _leaves((op.args, op.kwargs, op.wait_for)):
                if type(leaf) is TaskFuture:
                    used.add(leaf)
            if wait_for:
                kwargs = {**kwargs, "wait_for": wait_for}
            if op.kind == "map":
                real[op.future] = op.task.map(*args, **kwargs)
            else:
                real[op.future] = op.task._call(args, kwargs, op.name)
        # Like Prefect 1's reference tasks: the terminal calls are what the run returns.
        return {op.future: real[op.future] for op in graph.ops if self.returns_every_call or op.future not in used}

    def run(  # type: ignore[override]
        self, parameters: Mapping[str, Any] | None = None, *, executor: Executor | None = None, **kwargs: Any
    ) -> FlowRun:
        """Run the block's graph and return the ``FlowRun``; without an executor, a synchronous LocalExecutor."""
        chosen = executor or self.options.executor or LocalExecutor()
        return super().run(executor=chosen, **{**(parameters or {}), **kwargs})

    def with_options(self, **changes: Any) -> FlowBlock:
        """A copy of this flow, sharing its recorded graph, with some options changed."""
        options = make_options(FlowOptions, f"flow {self.name!r}", self.options, changes)
        copy = type(self)(options.name)
        copy.options = options
        copy.entrypoint = self.entrypoint
        copy._graph = self._graph
        copy._refresh_parameters()
        return copy
