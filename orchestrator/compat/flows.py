"""Prefect's flows on daskflow's: Prefect 3's ``@flow`` and Prefect 1's ``Flow(...)`` blocks.

**Prefect 3 ``@flow``** (``PrefectFlow``): the body runs with direct task calls
returning values (orchestrator.compat.tasks). By default tasks run on a thread
pool in this process (``ThreadPoolTaskRunner``, Prefect 3's default), so they
see the script's globals; ``task_runner=DaskTaskRunner(...)`` runs them on a
Dask cluster. The final state follows Prefect 3's rule (``ReturnValueDecides``):
an exception out of the body fails the run; otherwise the return value
decides: a returned ``State`` is the final state, returned futures that did
not complete fail it, and failed task runs nobody returned or awaited do not.
Calling the flow returns its value, or raises what failed it: the body's
exception, or the failed task's. ``return_state=True`` gives the ``State``;
``retries=`` reruns a failed flow. An ``async def`` flow returns a coroutine
(``asyncio.run(flow())``), which runs the flow on a thread of its own with the
body in a fresh event loop; called inside a running flow it is awaited there.

**Prefect 1 ``Flow("name")``**: a daskflow ``with Flow`` block whose ``run()``
returns a Prefect 1 state: ``is_successful()``, ``.message`` and
``.result[task]``, keyed by what a call returned or by the task object. The
run succeeds when every reference task succeeded (the terminal tasks, unless
``set_reference_tasks`` chose others). ``state_handlers(flow, old, new)`` run
on this process around the run, ``executor`` can be set on the flow.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ParamSpec, TypeVar, cast, overload

from ..authoring.flows import Flow as NativeFlow
from ..authoring.parameters import ParameterValidator
from ..authoring.prefect1 import FlowBlock
from ..authoring.tasks import Task as NativeTask
from ..engine.context import current_engine
from ..engine.futures import TaskFuture, collect_futures, resolve_futures
from ..records.errors import FlowDefinitionError
from ..records.options import FlowOptions, make_options
from ..records.runs import FlowRun
from ..records.states import FAILED_TYPES, SUCCESS_TYPES
from ..records.states import StateType as Native
from .calls import run_coroutine
from .futures import unwrap
from .keywords import flow_keywords
from .runners import ThreadPoolTaskRunner
from .states import (
    Cancelled,
    Crashed,
    Failed,
    FailedRun,
    P1Cancelled,
    P1Failed,
    P1Mapped,
    P1Pending,
    P1Running,
    P1State,
    P1Success,
    P1TimedOut,
    State,
    StateType,
    p1_from_native,
)
from .tasks import EAGER, FLOW_LOG_PRINTS

__all__ = ["Flow", "PrefectFlow", "ReferenceTasks", "ReturnValueDecides", "flow"]

P = ParamSpec("P")
R = TypeVar("R")

_DEFAULT_RUNNER: list[ThreadPoolTaskRunner] = []


def _thread_pool() -> ThreadPoolTaskRunner:
    """One thread-pool executor per process for compat flows without a task runner."""
    if not _DEFAULT_RUNNER:
        _DEFAULT_RUNNER.append(ThreadPoolTaskRunner())
    return _DEFAULT_RUNNER[0]


@dataclasses.dataclass(frozen=True)
class _Returned:
    """A state the body returned (``return Failed(...)``): it decides the run, its data is the value."""

    state: State


class ReturnValueDecides:
    """Prefect 3's rule for a flow run's final state; see the module docstring."""

    def decide(self, run: FlowRun, returned: Any) -> tuple[Native, str | None]:
        if isinstance(returned, _Returned):
            kind = {StateType.COMPLETED: Native.COMPLETED, StateType.CRASHED: Native.CRASHED,
                    StateType.CANCELLED: Native.CANCELLED}.get(returned.state.type, Native.FAILED)  # fmt: skip
            return kind, returned.state.message
        futures: list[TaskFuture[Any]] = []
        collect_futures(returned, futures)
        failed = [f for f in futures if (tr := run.task_runs.get(f.key)) is not None and tr.state not in SUCCESS_TYPES]
        if failed:
            return Native.FAILED, f"{len(failed)}/{len(futures)} states failed."
        return Native.COMPLETED, None


class _Unvalidated(ParameterValidator):
    """``validate_parameters=False``: bind the arguments to the signature, with no pydantic coercion."""

    def validate(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise FlowDefinitionError(f"flow {self.flow_name!r}: {exc}") from None
        bound.apply_defaults()
        return dict(bound.arguments)


class PrefectFlow(NativeFlow[P, R]):
    """A Prefect 3 style flow; see the module docstring."""

    def __init__(self, fn: Callable[P, R], **keywords: Any) -> None:
        default = keywords.get("name") or getattr(fn, "__name__", None) or type(fn).__name__
        who = f"flow {default!r}"
        translated = flow_keywords(who, keywords)
        changes = {"executor": _thread_pool(), **translated.options, "name": default}
        super().__init__(fn, make_options(FlowOptions, who, FlowOptions(name=default), changes))
        self.retries, self.retry_delay = translated.retries, translated.retry_delay
        self.is_async = inspect.iscoroutinefunction(fn)
        self.description = translated.description or (inspect.getdoc(fn) or None)
        self.version = translated.version
        if not translated.validate_parameters:
            self.parameters = _Unvalidated(self.name, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return_state = bool(kwargs.pop("return_state", False))
        args, kwargs = unwrap(args), unwrap(kwargs)
        parent = current_engine()
        if parent is not None:
            if self.is_async:
                return self._async_subflow(parent, args, kwargs, return_state)
            value = self._run_as_subflow(parent, args, kwargs)
            return State(StateType.COMPLETED, "Completed", None, value) if return_state else value
        if self.is_async:
            return self._async_run(args, kwargs, return_state)
        return self._finish(self.run(*args, **kwargs), return_state)

    @staticmethod
    def _finish(run: FlowRun, return_state: bool) -> Any:
        return flow_state(run) if return_state else _value_or_raise(run)

    async def _async_run(self, args: tuple[Any, ...], kwargs: dict[str, Any], return_state: bool) -> Any:
        # The engine blocks while it waits on the cluster: run it off the caller's event loop.
        run = await asyncio.get_running_loop().run_in_executor(None, functools.partial(self.run, *args, **kwargs))
        return self._finish(run, return_state)

    async def _async_subflow(
        self, parent: Any, args: tuple[Any, ...], kwargs: dict[str, Any], return_state: bool
    ) -> Any:
        args, kwargs = resolve_futures((args, kwargs))
        params = self.parameters.validate(args, kwargs)
        parent.run.subflows.append(self.name)
        eager = EAGER.set(True)
        try:
            value = unwrap(await cast("Callable[..., Any]", self.fn)(**params))
        finally:
            EAGER.reset(eager)
        return State(StateType.COMPLETED, "Completed", None, value) if return_state else value

    def run(self, *args: Any, executor: Any = None, **kwargs: Any) -> FlowRun:
        """Run the flow (and rerun it ``retries`` times if it fails); the ``FlowRun``."""
        run = super().run(*args, executor=executor, **kwargs)
        # A retry is a new flow run: a scheduled tick's id and mark belong to its first run only.
        again = {k: v for k, v in kwargs.items() if k not in ("run_id", "scheduled")}
        for _ in range(self.retries):
            if run.state is Native.COMPLETED:
                break
            time.sleep(self.retry_delay)
            run = super().run(*args, executor=executor, **again)
        return run

    def with_options(self, **keywords: Any) -> PrefectFlow[P, R]:
        """A copy with some options changed, given by their Prefect names."""
        copied = PrefectFlow(self.fn, **{"name": self.name, **keywords})
        return copied

    def _outcome(self) -> ReturnValueDecides:
        return ReturnValueDecides()

    def _body(self, params: dict[str, Any]) -> Callable[[], Any]:
        fn: Callable[..., Any] = self.fn
        log_prints = self.options.log_prints

        def body() -> Any:
            eager, prints = EAGER.set(True), FLOW_LOG_PRINTS.set(log_prints)
            try:
                returned = fn(**params)
                if inspect.iscoroutine(returned):
                    returned = run_coroutine(returned)
            finally:
                EAGER.reset(eager)
                FLOW_LOG_PRINTS.reset(prints)
            if isinstance(returned, State):
                return returned.data if returned.is_completed() else _Returned(returned)
            return unwrap(returned)

        return body


def _value_or_raise(run: FlowRun) -> Any:
    """What calling a Prefect 3 flow gives: its value, or the exception that failed it."""
    if run.state is Native.COMPLETED:
        value = run.value
        return value.state.data if isinstance(value, _Returned) else value
    if run.body_error is not None:
        raise run.body_error
    if isinstance(run.value, _Returned):
        raise FailedRun(run.value.state.message or f"flow run {run.name} ended {run.value.state.name}")
    failures = [tr for tr in run.task_runs.values() if tr.state in FAILED_TYPES]
    for record in failures:
        exc = record.exception()
        if exc is not None:
            raise exc
    raise run.error()


def flow_state(run: FlowRun) -> State:
    """A finished flow run as a Prefect 3 state (``return_state=True``)."""
    value = run.value.state.data if isinstance(run.value, _Returned) else run.value
    if run.state is Native.COMPLETED:
        return State(StateType.COMPLETED, "Completed", run.message, value)
    if run.state is Native.CRASHED:
        return Crashed(message=run.message)
    if run.state is Native.CANCELLED:
        return Cancelled(message=run.message)
    error: BaseException | None = run.body_error
    if error is None:
        error = next((e for tr in run.task_runs.values() if tr.state in FAILED_TYPES and (e := tr.exception())), None)
    name = "TimedOut" if run.state is Native.TIMED_OUT else "Failed"
    return Failed(message=run.message, data=error, name=name)


@overload
def flow(fn: Callable[P, R], /) -> PrefectFlow[P, R]: ...


@overload
def flow(**keywords: Any) -> Callable[[Callable[P, R]], PrefectFlow[P, R]]: ...


def flow(
    fn: Callable[P, R] | None = None, /, **keywords: Any
) -> PrefectFlow[P, R] | Callable[[Callable[P, R]], PrefectFlow[P, R]]:
    """Prefect's ``@flow`` / ``@flow(name=..., task_runner=..., retries=...)``."""
    if fn is not None:
        return PrefectFlow(fn, **keywords)
    return lambda func: PrefectFlow(func, **keywords)


# -- Prefect 1 ----------------------------------------------------------------------------------


class ReferenceTasks:
    """Prefect 1's rule: a run succeeded when all its reference tasks did (default: the terminal ones)."""

    def __init__(self, block: Flow, chosen: list[Any] | None) -> None:
        self.block = block
        self.chosen = chosen
        #: Each call's placeholder, mapped to the run's future(s) for it (a map gives a list).
        self.calls: dict[TaskFuture[Any], Any] = {}

    def decide(self, run: FlowRun, returned: Any) -> tuple[Native, str | None]:
        self.calls = dict(returned) if isinstance(returned, dict) else {}
        states = [self.state_of(run, ref) for ref in self.references()]
        if all(s.is_successful() for s in states):
            return Native.COMPLETED, "All reference tasks succeeded."
        return Native.FAILED, "Some reference tasks failed."

    def references(self) -> list[TaskFuture[Any]]:
        if self.chosen:
            return [self.block.placeholder_of(ref) for ref in self.chosen]
        return self.block.terminal_calls()

    def state_of(self, run: FlowRun, placeholder: TaskFuture[Any], value: Any = None) -> P1State:
        real = self.calls.get(placeholder)
        if isinstance(real, list):
            values = value if isinstance(value, list) else [None] * len(real)
            children = [self._one(run, f, v) for f, v in zip(real, values)]
            return P1Mapped("Ready to proceed with mapping.", [c.result for c in children], children)
        return self._one(run, real, value)

    def _one(self, run: FlowRun, future: Any, value: Any) -> P1State:
        record = run.task_runs.get(future.key) if isinstance(future, TaskFuture) else None
        if record is None:
            return P1Pending("Task run never started.")
        return p1_from_native(record.state, record.message, value, record.exception())


class _TaskStates(Mapping[Any, P1State]):
    """``flow_state.result``: each task's Prefect 1 state, by its call's placeholder or its task object."""

    def __init__(self, block: Flow, run: FlowRun, outcome: ReferenceTasks) -> None:
        values = run.value if isinstance(run.value, dict) else {}
        self._states = {p: outcome.state_of(run, p, values.get(p)) for p in outcome.calls}
        self._block = block

    def __getitem__(self, key: Any) -> P1State:
        return self._states[self._block.placeholder_of(key)]

    def __iter__(self) -> Any:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)


class Flow(FlowBlock):
    """Prefect 1's ``Flow("name", executor=..., state_handlers=...)``; see the module docstring."""

    returns_every_call = True

    def __init__(self, name: str, **keywords: Any) -> None:
        translated = flow_keywords(f"flow {name!r}", keywords)
        super().__init__(name, **translated.options)
        self.state_handlers = translated.state_handlers
        self._reference: list[Any] | None = None
        self._outcomes: list[ReferenceTasks] = []

    @property
    def executor(self) -> Any:
        return self.options.executor

    @executor.setter
    def executor(self, executor: Any) -> None:
        from .runners import executor_of

        self.options = dataclasses.replace(self.options, executor=executor_of(executor, f"flow {self.name!r}"))

    def set_reference_tasks(self, tasks: Iterable[Any]) -> None:
        """Decide the run's state by these tasks (calls or task objects) instead of the terminal ones."""
        self._reference = list(tasks)

    def reference_tasks(self) -> list[TaskFuture[Any]]:
        return ReferenceTasks(self, self._reference).references()

    def placeholder_of(self, ref: Any) -> TaskFuture[Any]:
        """The call ``ref`` names: a placeholder as returned in the block, or a task object called once."""
        graph = self._graph
        if isinstance(ref, TaskFuture) and ref in graph.op_of:
            return ref
        if isinstance(ref, NativeTask):
            calls = [op.future for op in graph.ops if op.task.origin is ref.origin]
            if len(calls) == 1:
                return calls[0]
            problem = "was never called" if not calls else f"was called {len(calls)} times; use what a call returned"
            raise KeyError(f"task {ref.name!r} {problem} in flow {self.name!r}")
        raise KeyError(f"{ref!r} is not a task or a call of flow {self.name!r}")

    def _outcome(self) -> ReferenceTasks:
        outcome = ReferenceTasks(self, self._reference)
        self._outcomes.append(outcome)
        return outcome

    def run(self, parameters: Mapping[str, Any] | None = None, *, executor: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        """Run the flow and return its Prefect 1 state."""
        self._transition(P1Pending("Flow run pending."), P1Running("Running flow."))
        flow_run = super().run(parameters, executor=executor, **kwargs)
        outcome = self._outcomes.pop() if self._outcomes else ReferenceTasks(self, self._reference)
        state = _p1_flow_state(flow_run, _TaskStates(self, flow_run, outcome))
        return self._transition(P1Running("Running flow."), state)

    def _transition(self, old: P1State, new: P1State) -> P1State:
        for handler in self.state_handlers:
            replaced = handler(self, old, new)
            if isinstance(replaced, P1State):
                new = replaced
        return new


def _p1_flow_state(run: FlowRun, results: _TaskStates) -> P1State:
    if run.state is Native.COMPLETED:
        return P1Success(run.message or "All reference tasks succeeded.", results)
    if run.state is Native.TIMED_OUT:
        return P1TimedOut(run.message, results)
    if run.state is Native.CANCELLED:
        return P1Cancelled(run.message, results)
    return P1Failed(run.message or "Some reference tasks failed.", results)
