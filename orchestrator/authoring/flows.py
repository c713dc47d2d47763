"""``@flow``: a function whose body builds a graph of task calls and runs it.

``etl(day="...")`` validates the parameters, runs the body on the driver
(task calls inside it become lazy nodes), flushes and waits, and returns the
body's return value with every ``TaskFuture`` in it replaced by its value, or
raises ``FlowRunFailed``. ``return_state=True`` and ``flow.run(...)`` return
the ``FlowRun`` instead. A flow called inside a running flow is a subflow:
its tasks join the parent's graph.

``Flow("name")`` (a string instead of a function) makes a Prefect 1 style
flow built in a ``with`` block; see orchestrator.authoring.prefect1. Flow
hooks and ``log_prints`` are applied here, around the engine's run; the run
store's recorder and the progress displays wrap it (orchestrator.engine.observers).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, cast, overload

from executors import Executor

from ..engine.context import current_engine
from ..engine.futures import resolve_futures
from ..engine.observers import observing
from ..engine.outcome import FAILURES_FAIL, Outcome
from ..engine.shipping import ship_modules
from ..records.display import renderers
from ..records.errors import FlowDefinitionError
from ..records.notify import build_rules
from ..records.options import FlowOptions, Hook, make_options
from ..records.runs import FlowRun, ScheduleTick
from ..records.states import State, StateType
from ..worker.hooks import call_each
from ..worker.prints import flow_prints
from .parameters import ParameterValidator
from .serving import server

if TYPE_CHECKING:
    from ..engine.run_engine import RunEngine

__all__ = ["FILE_MODULE_PREFIX", "Flow", "default_executor", "flow", "run_flow_hooks"]

P = ParamSpec("P")
R = TypeVar("R")

#: The names load_flow gives the modules it loads from a file path.
FILE_MODULE_PREFIX = "daskflow_user_"
_DEFAULT: list[Executor] = []
_DEFAULT_LOCK = threading.Lock()


def default_executor() -> Executor:
    """The process-wide default: a ``DaskExecutor`` on the embedded ``LocalCluster``."""
    with _DEFAULT_LOCK:
        if not _DEFAULT:
            from executors import DaskExecutor

            _DEFAULT.append(DaskExecutor())
        return _DEFAULT[0]


class Flow(Generic[P, R]):
    """A function made into a flow; see the module docstring."""

    def __new__(cls, fn: Any = None, *args: Any, **kwargs: Any) -> Flow[P, R]:
        if cls is Flow and isinstance(fn, str):
            # Prefect 1: Flow("name") is a flow built in a `with` block; Python then runs its __init__.
            from .prefect1 import FlowBlock

            return cast("Flow[P, R]", object.__new__(FlowBlock))
        return object.__new__(cls)

    def __init__(self, fn: Callable[P, R], options: FlowOptions) -> None:
        if not callable(fn):
            raise FlowDefinitionError(f"@flow decorates a function, got {type(fn).__name__}")
        self.fn = fn
        self.options = options
        self.name = options.name
        self.parameters = ParameterValidator(self.name, fn)
        #: How to load this flow again (``PATH:FLOW`` or ``module:flow``), recorded with each run so the
        #: dashboard can re-run it; ``load_flow`` sets it, else it is found from the function's module.
        self.entrypoint: str | None = None
        functools.update_wrapper(self, fn)

    def __repr__(self) -> str:
        return f"<Flow {self.name!r}>"

    def with_options(self, **changes: Any) -> Flow[P, R]:
        """A copy of this flow with some options changed (name, executor, timeout, progress, ...)."""
        copy = Flow(self.fn, make_options(FlowOptions, f"flow {self.name!r}", self.options, changes))
        copy.entrypoint = self.entrypoint
        return copy

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return_state = bool(kwargs.pop("return_state", False))
        parent = current_engine()
        if parent is not None:
            return self._run_as_subflow(parent, args, kwargs)  # type: ignore[no-any-return]
        run = self.run(*args, **cast("dict[str, Any]", kwargs))
        return cast(R, run if return_state else run.result())

    def run(
        self,
        *args: Any,
        executor: Executor | None = None,
        resume: str | None = None,
        concurrency: Mapping[str, int] | None = None,
        run_id: str | None = None,
        scheduled: ScheduleTick | None = None,
        **kwargs: Any,
    ) -> FlowRun:
        """Run the flow and return its ``FlowRun`` whatever the outcome.

        ``run_id`` chooses the run's id (default: a new random one);
        ``scheduled`` marks the run as one schedule tick's (``daskflow serve``
        passes both: the id is derived from the schedule and the tick, and the
        store lets such a run start only once).
        ``resume=RUN_ID`` starts a new run linked to that one, reusing the
        results its completed task runs persisted where their keys are
        unchanged. ``concurrency={"db": 2}`` limits this run's tasks tagged
        ``db`` to 2 slots at once (on top of ``daskflow concurrency`` limits).
        """
        params = self.parameters.validate(args, kwargs)
        chosen = executor or self.options.executor or default_executor()
        if not isinstance(chosen, Executor):
            raise FlowDefinitionError(
                f"flow {self.name!r}: executor must be an Executor such as LocalExecutor() or DaskExecutor(), "
                f"got {type(chosen).__name__}"
            )
        # The engine loads when a flow first runs, not when @flow decorates: it is most of what
        # `from orchestrator import flow, task` would otherwise cost beyond dask (the import budget).
        from ..engine.run_engine import RunEngine
        from ..engine.run_settings import prepare_run

        settings = prepare_run(self.name, self.options, resume, concurrency)
        ship_modules(self.options.ship_modules)
        engine = RunEngine(
            self.name, params, chosen, timeout=self.options.timeout, outcome=self._outcome(),
            log_level=cast("int | None", self.options.log_level),  # FlowOptions stores the number
            settings=settings,
            fuse=self.options.fuse,
            run_id=run_id,
        )  # fmt: skip
        options = self.options
        engine.run.scheduled = scheduled
        engine.run.resumed_from = settings.resume.run_id if settings.resume is not None else None
        engine.run.notify_rules = build_rules(
            options.notify, options.notify_on, options.late_after, options.not_completed_within
        )
        engine.run.entrypoint = self.entrypoint or _entrypoint_of(self.fn)
        body = flow_prints(self._body(params), self.options.log_prints, echo=not engine.console)
        # The run store record, heartbeats and the CLI's progress display; live progress in notebooks.
        with observing(engine, self.options.progress):
            run = engine.execute(body)
        run_flow_hooks(self, run)
        return run

    def _body(self, params: dict[str, Any]) -> Callable[[], Any]:
        """The run's body: the function on the validated parameters (Prefect-style flows add their semantics)."""
        return functools.partial(cast("Callable[..., Any]", self.fn), **params)

    def _outcome(self) -> Outcome:
        """How this flow's runs are decided (orchestrator.engine.outcome); Prefect-style flows bring their own."""
        return FAILURES_FAIL

    def serve(self, **schedule: Any) -> None:
        """Run this flow on a schedule, in this process, until stopped (Ctrl-C): see orchestrator.schedules.

        Keywords: one of ``cron=``, ``interval=`` (seconds) or ``rrule=``, and
        ``timezone=``, ``parameters={...}``, ``catchup="none"|"latest"|"all"``,
        ``max_catchup=``, ``max_active_runs=``, ``anchor=``.
        """
        server()(self, **schedule)

    def _run_as_subflow(self, parent: RunEngine, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        # Parameters are validated values: futures of the parent's tasks are resolved first.
        args, kwargs = resolve_futures((args, kwargs))
        params = self.parameters.validate(args, kwargs)
        parent.run.subflows.append(self.name)
        return self._body(params)()

    def compile(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The Dask graph (key -> ``dask.task_spec.Task``) of a static flow, without running it."""
        params = self.parameters.validate(args, kwargs)
        from ..engine.run_engine import RunEngine

        engine = RunEngine(self.name, params, None, compile_only=True)
        engine.compile_body(self._body(params))
        return engine.compiled

    def visualize(self, *args: Any, **kwargs: Any) -> Any:
        """Draw the graph ``compile(*args, **kwargs)`` returns as SVG (a ``GraphView``; inline in Jupyter)."""
        return renderers().graph(self.compile(*args, **kwargs), self.name)


def _entrypoint_of(fn: Callable[..., Any]) -> str | None:
    """``FILE:NAME`` or ``module:NAME`` for a flow function defined at the top of a module, else None.

    A script's (or a file ``load_flow`` loaded) by its absolute path, an
    importable module by its name; a notebook's ``__main__`` has no file, and a
    nested function or a lambda no name to load it by.
    """
    name = getattr(fn, "__name__", None)
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if not name or getattr(fn, "__qualname__", None) != name or module is None:
        return None
    if getattr(getattr(module, name, None), "fn", None) is not fn:
        return None
    # A script, or a file load_flow loaded under a made-up name: only its path loads it again.
    if module.__name__ != "__main__" and not module.__name__.startswith(FILE_MODULE_PREFIX):
        return f"{module.__name__}:{name}"
    file = getattr(module, "__file__", None)
    return f"{os.path.abspath(file)}:{name}" if file else None


@overload
def flow(fn: Callable[P, R], /) -> Flow[P, R]: ...


@overload
def flow(*, name: str | None = None, **options: Any) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(fn: Callable[P, R] | None = None, /, **options: Any) -> Flow[P, R] | Callable[[Callable[P, R]], Flow[P, R]]:
    """Make a function a flow: ``@flow`` or ``@flow(name=..., executor=..., timeout=...)``."""

    def decorate(func: Callable[P, R]) -> Flow[P, R]:
        name = options.get("name") or getattr(func, "__name__", None) or type(func).__name__
        built = make_options(FlowOptions, f"flow {name!r}", FlowOptions(name=name), {**options, "name": name})
        return Flow(func, built)

    if fn is not None:
        return decorate(fn)
    return decorate


_FLOW_HOOKS = {
    StateType.COMPLETED: "on_completion",
    StateType.FAILED: "on_failure",
    StateType.TIMED_OUT: "on_failure",
    StateType.CRASHED: "on_crashed",
}


def run_flow_hooks(flow: Flow[Any, Any], run: FlowRun) -> None:
    """Run the flow's hooks for the final state of ``run``, on the driver."""
    attribute = _FLOW_HOOKS.get(run.state)
    hooks: Sequence[Hook] = getattr(flow.options, attribute) if attribute else ()
    if hooks:
        state = State(run.state, run.value, message=run.message, start=run.start, end=run.end)
        call_each(hooks, flow, run, state, f"flow run {run.flow_name!r} ({run.id})")
