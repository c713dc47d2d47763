"""The state layer: what runs on the worker around every task call.

``run_task(call, *upstream_states)`` is the callable of every Dask task a flow
compiles to. It receives the final ``State`` of each upstream key and:

1. applies the task's trigger (``allow_failure`` upstreams only need to be
   finished), returning Skipped with a reason when it says no;
2. resolves the argument template (orchestrator.worker.templates): upstream
   slots become values (or the ``State`` itself for ``allow_failure``);
3. for a task whose ``TaskPlan`` caches or persists, keys the call and looks
   its result up (orchestrator.worker.cache): a hit is the Cached state, and
   the function does not run;
4. calls the function under the retry policy and the timeout, waiting out
   retry delays on the injected clock (a blocking wait, never a spin); a
   task with limited tags holds its concurrency slots during each attempt
   (orchestrator.worker.limits), and its start is when it got them;
5. turns every exception into a Failed / TimedOut state carrying the error's
   type, message and traceback text, and ``Skip`` into Skipped; an
   unpicklable result becomes Failed too, since it could not leave the
   worker; a persisting task writes its Completed result;
6. runs the task's state hooks (orchestrator.worker.hooks), then emits exactly one
   final state event (plus one per retry) and returns the ``State``. A
   user's exception never escapes into Dask, so Dask keeps running
   independent branches and downstream triggers see the failure. Only
   ``TaskInterrupted`` does (orchestrator.worker.interrupts): its run was cancelled
   and nothing waits for the result any more.

``execute`` is the same logic with the clock as a parameter, so triggers,
retries and timeouts are tested without a cluster and without sleeping.
"""

from __future__ import annotations

import pickle
import traceback
from collections.abc import Sequence
from typing import Any

from dask.sizeof import sizeof

from executors import events
from executors.slots import SlotsUnavailable

from ..records.clock import SYSTEM_CLOCK, Clock
from ..records.errors import OrchestratorError, Skip, TaskTimedOut, UnpicklableValue
from ..records.states import FAILED_TYPES, TERMINAL_TYPES, CompletedWith, ErrorInfo, State, StateType
from ..records.triggers import skip_reason
from .cache import CallCache
from .hooks import run_task_hooks
from .limits import acquire_slots
from .prints import task_prints
from .run_logs import in_task_context
from .serialization import TaskSpec, unpicklable_reason
from .templates import Deep, Slot, fill_template, upstream_values
from .timeouts import call_with_timeout
from .watchdog import RUNNING_WATCH

__all__ = [
    "Deep",
    "Slot",
    "TaskCall",
    "error_info",
    "execute",
    "fail_unpicklable",
    "fill_template",
    "run_inline",
    "run_task",
]


class TaskCall:
    """The small, picklable record of one task call: spec, key, name and argument template.

    ``allow`` holds the upstream indexes passed as ``State`` (``allow_failure``);
    ``fill`` says whether the template has slots at all, to skip the walk when not;
    ``awaited`` says the driver waits on this call's result, so its final
    event goes out at once rather than with the worker's next batch.
    """

    __slots__ = ("allow", "args", "awaited", "fill", "key", "kwargs", "name", "spec")

    def __init__(
        self,
        spec: TaskSpec,
        key: str,
        name: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        fill: bool,
        allow: frozenset[int] | None = None,
        awaited: bool = False,
    ) -> None:
        self.spec = spec
        self.key = key
        self.name = name
        self.args = args
        self.kwargs = kwargs
        self.fill = fill
        self.allow = allow
        self.awaited = awaited

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.spec, self.key, self.name, self.args, self.kwargs, self.fill, self.allow, self.awaited)
        return (TaskCall, args)

    def __dask_tokenize__(self) -> str:
        # The key already names this call uniquely (task, run, position). Without this, Dask
        # tokenizes a submitted graph by pickling every call, spec included: ~30 us per task.
        return self.key

    def __repr__(self) -> str:
        return f"TaskCall({self.key!r})"


def run_task(call: TaskCall, *upstream: State) -> State:
    """The Dask-facing entry point of every compiled task."""
    return execute(call, upstream, SYSTEM_CLOCK)


def execute(call: TaskCall, upstream: Sequence[State], clock: Clock) -> State:
    """Run one task call to a final ``State``; see the module docstring."""
    task, run, plan = call.spec.load()
    options, run_id = task.options, run.run_id
    sink = events.sink(run.topic)
    # get_run_logger() in the call, and a Running event if it lasts (run_logs, watchdog).
    fn = task_prints(task.fn, options.log_prints, run.echo_prints)
    fn = in_task_context(fn, run, call.key, options.name, call.name, sink)
    start = clock.now()
    handled: list[str] | None = None

    if upstream:
        allow = call.allow
        checked = upstream if not allow else [s for i, s in enumerate(upstream) if i not in allow]
        try:
            go = options.trigger(checked)
        except Exception as exc:  # noqa: BLE001 - a broken trigger fails its task, not the worker
            state = _failed(exc, call.name, start, clock, 0)
            run_task_hooks(call, task, state, sink.worker)
            return _finish(call, sink, run_id, options.name, state, None)
        if not go:
            state = State(StateType.SKIPPED, message=skip_reason(options.trigger, checked), start=start, end=start)
            return _finish(call, sink, run_id, options.name, state, None)
        handled = [s.key for s in upstream if s.type in FAILED_TYPES and s.key] or None

    cache = CallCache(plan.cache, task, run_id, call, upstream) if plan is not None and plan.cache else None
    if cache is not None:
        hit = cache.lookup(clock, start)
        if hit is not None:
            run_task_hooks(call, task, hit, sink.worker)
            return _finish(call, sink, run_id, options.name, hit, handled, cache.event_fields())

    if call.fill:
        values = upstream_values(call.allow, upstream)
        args = tuple(fill_template(a, values) for a in call.args)
        kwargs = {k: fill_template(v, values) for k, v in call.kwargs.items()}
    else:
        args, kwargs = call.args, call.kwargs

    slots = plan.slots if plan is not None else None
    attempt = 0
    while True:
        attempt += 1
        lease = None
        if slots:
            try:
                lease = acquire_slots(slots, run.topic, run_id, options.name, call.key, call.name, attempt, sink)
            except SlotsUnavailable as exc:
                state = _failed(exc, call.name, start, clock, attempt, StateType.CRASHED)
                break
            if attempt == 1:
                start = clock.now()  # its real start: waiting for a slot is not running
        try:
            value, error = _attempt(fn, args, kwargs, options.timeout, call.name)
        finally:
            if lease is not None:
                lease.release()
        if error is None:
            reason = unpicklable_reason(value)
            if reason is not None:
                problem = UnpicklableValue(call.name, "result", type(value).__qualname__, reason)
                state = _failed(problem, call.name, start, clock, attempt)
            else:
                message = None
                if type(value) is CompletedWith:
                    value, message = value.value, value.message
                state = State(StateType.COMPLETED, value, message=message, start=start, end=clock.now(),
                              attempt=attempt)  # fmt: skip
            break
        if isinstance(error, Skip):
            state = State(StateType.SKIPPED, message=error.reason, start=start, end=clock.now(), attempt=attempt)
            break
        if options.should_retry(error, attempt):
            delay = options.retry_delay_for(attempt)
            retrying = _failed(error, call.name, start, clock, attempt, StateType.RETRYING)
            retrying.message = f"attempt {attempt} failed; retry {attempt} of {options.retries} in {delay:g} s"
            run_task_hooks(call, task, retrying, sink.worker)
            _emit(call, sink, run_id, options.name, retrying, None)
            clock.sleep(delay)
            continue
        kind = StateType.TIMED_OUT if isinstance(error, TaskTimedOut) else StateType.FAILED
        state = _failed(error, call.name, start, clock, attempt, kind)
        break
    if cache is not None:
        cache.save(state, clock)
    # Hooks before the final event: when the driver hears the state, they are done.
    run_task_hooks(call, task, state, sink.worker)
    return _finish(call, sink, run_id, options.name, state, handled, cache.event_fields() if cache else None)


def _attempt(
    fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], timeout: float | None, name: str
) -> tuple[Any, Exception | None]:
    """One call of the task's function: its value, or the exception it raised (never let into Dask)."""
    try:
        if timeout is not None:
            return call_with_timeout(fn, args, kwargs, timeout, name), None
        return fn(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - the whole point: nothing escapes into Dask
        return None, exc


def error_info(exc: BaseException) -> ErrorInfo:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return ErrorInfo(type(exc).__name__, str(exc), text)


def _portable(exc: BaseException) -> BaseException:
    """The exception itself if it survives pickling, else a stand-in carrying its text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - unpicklable user exceptions are common
        return OrchestratorError(f"{type(exc).__name__}: {exc}")


def _failed(
    exc: BaseException, name: str, start: float, clock: Clock, attempt: int, kind: StateType = StateType.FAILED
) -> State:
    return State(
        kind,
        _portable(exc),
        message=f"{type(exc).__name__}: {exc}",
        error=error_info(exc),
        start=start,
        end=clock.now(),
        attempt=attempt,
    )


def _finish(
    call: TaskCall,
    sink: events.Sink,
    run_id: str,
    task: str,
    state: State,
    handled: list[str] | None,
    extra: dict[str, Any] | None = None,
) -> State:
    state.key = call.key
    state.worker = sink.worker
    RUNNING_WATCH.end(call.key)  # a timed-out call's thread lives on; it must not report Running after this
    _emit(call, sink, run_id, task, state, handled, extra)
    return state


def _emit(
    call: TaskCall,
    sink: events.Sink,
    run_id: str,
    task: str,
    state: State,
    handled: list[str] | None,
    extra: dict[str, Any] | None = None,
) -> None:
    event: dict[str, Any] = {
        "run": run_id,
        "key": call.key,
        "task": task,
        "name": call.name,
        "state": state.type.value,
        "ts": state.end,
        "start": state.start,
        "end": state.end,
        "attempt": state.attempt,
        "worker": sink.worker,
        "message": state.message,
        "error": state.error.as_dict() if state.error is not None else None,
    }
    if handled:
        event["handled"] = handled
    if extra:
        event.update(extra)  # the persisted result's record, or why the call was not cached
    if state.type in FAILED_TYPES and isinstance(state.data, BaseException):
        # So FlowRunFailed can chain the real exception without fetching the state.
        event["exc"] = pickle.dumps(state.data)
    if state.type in _VALUED and isinstance(state.data, (list, tuple)):
        # Lets the driver map over this result without fetching it.
        event["len"] = len(state.data)
    if call.awaited and state.type in TERMINAL_TYPES:
        sink.emit_now(event)
    else:
        sink.emit(event)


_VALUED = frozenset({StateType.COMPLETED, StateType.CACHED})


def fail_unpicklable(
    topic: str,
    run_id: str,
    task: str,
    key: str,
    name: str,
    what: str,
    type_name: str,
    reason: str,
    *upstream: State,
) -> State:
    """Stands in for a call whose arguments or function could not be pickled for the cluster."""
    sink = events.sink(topic)
    now = SYSTEM_CLOCK.now()
    problem = UnpicklableValue(name, what, type_name, reason)
    state = _failed(problem, name, now, SYSTEM_CLOCK, 0)
    state.key, state.worker = key, sink.worker
    _emit(TaskCall(None, key, name, (), {}, False), sink, run_id, task, state, None)  # type: ignore[arg-type]
    return state


def run_inline(spec: TaskSpec, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> State:
    """Run a task call right here (a task called outside any flow), through the same layer."""
    return execute(TaskCall(spec, name, name, args, kwargs, False), (), SYSTEM_CLOCK)


def _sizeof_state(state: State) -> int:
    """What a task's result weighs: Dask spills, enforces memory limits and places dependents by it.

    Without this, every State (the result of every compiled task) weighs ~100 bytes to Dask,
    whatever array it carries.
    """
    return 256 + int(sizeof(state.data))


sizeof.register(State)(_sizeof_state)  # type: ignore[no-untyped-call]
