"""Prefect's task and flow keywords, translated into daskflow's options, or refused by name.

``task_keywords(who, given)`` and ``flow_keywords(who, given)`` take the
keywords a Prefect 1 or Prefect 2/3 decorator (or ``Task(...)``,
``Flow(...)``) received and return the native option changes plus what the
compat layer itself honours (state handlers, ``skip_on_upstream_skip``...).
Each keyword is in exactly one table: translated, kept by compat, or refused.
A keyword daskflow cannot honour raises a ``TypeError`` that names it and says
why; none is silently ignored. ``timedelta`` is accepted wherever seconds are.

Hooks are wrapped so they receive Prefect-shaped arguments: Prefect 3 hooks
get ``(task or flow, run, State)`` with a ``prefect.states.State``; Prefect 1's
``on_failure`` gets ``(task or flow, state)`` with a Prefect 1 state. The
wrappers are module-level callables, so task hooks pickle to the workers.

Caching maps onto daskflow's: ``cache_key_fn=task_input_hash`` (and Prefect
1's ``cache_for``) is ``cache=True``, daskflow's own key over the task's code
and inputs; any other ``cache_key_fn`` gets a context with ``task`` and
``parameters``; ``cache_expiration``, ``refresh_cache`` and
``persist_result`` keep their meaning, and a flow's ``result_storage`` is a
path or fsspec URL (Prefect storage blocks are refused).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from ..records.errors import FlowDefinitionError
from ..records.states import State as NativeState
from ..records.states import StateType as Native
from .states import from_native, p1_from_native
from .triggers import as_native_trigger, lenient

__all__ = ["FlowKeywords", "PrefectCacheKey", "TaskKeywords", "flow_keywords", "task_input_hash", "task_keywords"]

#: Prefect keywords daskflow cannot honour, and why (the TypeError says so).
_REFUSED: Final[Mapping[str, str]] = {
    "cache_policy": "Prefect's cache policies are not mapped; use cache_key_fn=task_input_hash "
    "(the inputs and the task's code) or a cache_key_fn of your own",
    "cache_validator": "Prefect 1's cache validators are not mapped: cache_for caches by the inputs "
    "and the task's code; remove cache_validator",
    "cache_result_in_memory": "daskflow keeps results on the cluster until they are needed",
    "result_storage_key": "daskflow stores results under content-addressed keys of their own",
    "result_serializer": "daskflow pickles persisted results (cloudpickle)",
    "result": "Prefect 1 results are not mapped; give the flow result_storage= and the task cache_for=",
    "target": "Prefect 1 targets are not mapped; give the task cache_for= to reuse its result",
    "schedule": "schedules are not available in compat flows",
    "storage": "daskflow ships flow code to the workers itself",
    "run_config": "daskflow runs flows on the executor you choose (executor= or task_runner=)",
    "environment": "daskflow runs flows on the executor you choose (executor= or task_runner=)",
    "flow_run_name": "daskflow names flow runs '<flow>-<run id>'",
    "on_cancellation": "daskflow has no cancellation hooks; use on_failure or a try/finally in the flow",
    "on_running": "daskflow has no running hooks; log at the start of the flow body instead",
    "on_rollback": "transactions are not available in daskflow",
    "on_commit": "transactions are not available in daskflow",
    "isolation_level": "transactions are not available in daskflow",
    "viz_return_value": "flow.visualize() draws the compiled graph",
    "asset_deps": "assets are not available in daskflow",
}


def _refuse(who: str, keyword: str) -> None:
    reason = _REFUSED.get(keyword)
    detail = f": {reason}" if reason else ""
    message = f"{who}: daskflow cannot honour the Prefect keyword {keyword!r}{detail}; remove it"
    raise FlowDefinitionError(message)


def _storage(who: str, value: Any) -> Any:
    """A ``result_storage`` daskflow can use: a path or an fsspec URL, not a Prefect storage block."""
    if value is None or isinstance(value, (str, os.PathLike)):
        return value
    message = (
        f"{who}: result_storage must be a path or an fsspec URL such as 'file:///shared/results' "
        f"or 's3://bucket/results', got {type(value).__name__}; Prefect storage blocks are not mapped"
    )
    raise FlowDefinitionError(message)


def _seconds(value: Any) -> Any:
    return value.total_seconds() if isinstance(value, datetime.timedelta) else value


def _tags(value: Any) -> frozenset[str]:
    return frozenset({value} if isinstance(value, str) else value or ())


# -- hooks with Prefect-shaped arguments -------------------------------------------------------


class P3Hook:
    """A Prefect 3 hook: called with ``(task or flow, run, prefect State)``."""

    def __init__(self, hook: Callable[..., Any]) -> None:
        self.hook = hook
        self.__qualname__ = getattr(hook, "__qualname__", repr(hook))

    def __call__(self, owner: Any, run: Any, state: NativeState) -> Any:
        return self.hook(owner, run, from_native(state))


class P1Hook:
    """A Prefect 1 ``on_failure``: called with ``(task or flow, Prefect 1 state)``."""

    def __init__(self, hook: Callable[..., Any]) -> None:
        self.hook = hook
        self.__qualname__ = getattr(hook, "__qualname__", repr(hook))

    def __call__(self, owner: Any, run: Any, state: NativeState) -> Any:
        error = state.data if isinstance(state.data, BaseException) else None
        return self.hook(owner, p1_from_native(state.type, state.message, state.data, error))


def _hooks(value: Any, wrap: type[P3Hook] | type[P1Hook]) -> tuple[Any, ...]:
    hooks = (value,) if callable(value) else tuple(value or ())
    return tuple(wrap(h) for h in hooks)


class RetryCondition:
    """Prefect 3's ``retry_condition_fn(task, task_run, state) -> bool`` as daskflow's ``retry_on(exc)``."""

    def __init__(self, condition: Callable[..., Any]) -> None:
        self.condition = condition
        #: The task, set once it exists (Prefect passes it to the condition).
        self.task: Any = None

    def __call__(self, exc: BaseException) -> bool:
        from ..worker.run_logs import current_task_run

        context = current_task_run()
        run = _TaskRunView(context.key if context else "", context.name if context else "")
        state = from_native(NativeState(Native.FAILED, exc, message=f"{type(exc).__name__}: {exc}"))
        return bool(self.condition(self.task, run, state))


@dataclasses.dataclass(frozen=True)
class _TaskRunView:
    id: str
    name: str


class PrefectCacheKey:
    """Prefect's ``cache_key_fn(context, parameters) -> str | None`` as daskflow's ``(task, arguments)``.

    The context offers what Prefect's ``TaskRunContext`` offers such functions
    most often: ``task`` and ``parameters``.
    """

    def __init__(self, key_fn: Callable[..., Any]) -> None:
        self.key_fn = key_fn
        self.__qualname__ = getattr(key_fn, "__qualname__", repr(key_fn))

    def __call__(self, task: Any, arguments: Mapping[str, Any]) -> Any:
        return self.key_fn(_CacheContext(task, dict(arguments)), dict(arguments))


@dataclasses.dataclass(frozen=True)
class _CacheContext:
    task: Any
    parameters: dict[str, Any]


def task_input_hash(context: Any, arguments: Mapping[str, Any]) -> str | None:
    """Prefect's ``task_input_hash``: a key over the task's name, its code and its inputs.

    Passed as ``cache_key_fn`` itself, it becomes ``cache=True``: daskflow's
    own key, which also covers the globals the code reads. Called from a
    ``cache_key_fn`` of your own, it returns that key as Prefect does, or None
    (do not cache) when an input has no deterministic token.
    """
    from ..worker.tokens import NotDeterministic, code_token, stable_token

    task = getattr(context, "task", None)
    code = getattr(getattr(task, "fn", None), "__code__", None)
    try:
        return stable_token((getattr(task, "name", ""), code_token(code) if code else (), dict(arguments)))
    except NotDeterministic:
        return None


def _retry_delays(value: Any, retries: int) -> Any:
    """``retry_delay_seconds``: seconds, a list of them, or Prefect's ``exponential_backoff(...)`` (retries -> list)."""
    if callable(value):
        return list(value(retries))
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_seconds(v) for v in value]
    return _seconds(value)


# -- tasks ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class TaskKeywords:
    """What a Prefect task decorator's keywords mean here."""

    options: dict[str, Any]
    state_handlers: tuple[Callable[..., Any], ...] = ()
    task_run_name: str | Callable[..., str] | None = None
    description: str | None = None
    version: str | None = None
    #: ``log_prints`` unset: a Prefect 3 task then follows its flow's ``log_prints``.
    inherit_log_prints: bool = True
    retry_condition: RetryCondition | None = None


def task_keywords(who: str, given: Mapping[str, Any]) -> TaskKeywords:
    """Translate a Prefect 1 or 2/3 task's keywords; a ``FlowDefinitionError`` (a TypeError) for refused ones."""
    out = TaskKeywords({})
    opts = out.options
    trigger: Any = None
    skip_on_upstream_skip = True
    for keyword, value in given.items():
        if keyword == "name":
            opts["name"] = value
        elif keyword in ("retries", "max_retries"):
            opts["retries"] = int(value or 0)
        elif keyword in ("retry_delay", "retry_delay_seconds"):
            opts["retry_delay"] = value
        elif keyword == "retry_jitter_factor":
            opts["retry_jitter"] = min(float(value or 0.0), 1.0)  # daskflow spreads up to 100% either way
        elif keyword == "retry_condition_fn":
            out.retry_condition = RetryCondition(value) if value is not None else None
        elif keyword in ("timeout", "timeout_seconds"):
            opts["timeout"] = _seconds(value)
        elif keyword in ("log_prints", "log_stdout"):
            opts["log_prints"] = bool(value)
            out.inherit_log_prints = False
        elif keyword == "tags":
            opts["tags"] = _tags(value)
        elif keyword == "nout":
            opts["nout"] = value
        elif keyword == "trigger":
            trigger = value
        elif keyword == "skip_on_upstream_skip":
            skip_on_upstream_skip = bool(value)
        elif keyword == "state_handlers":
            out.state_handlers = tuple(value or ())
        elif keyword == "on_completion":
            opts["on_completion"] = _hooks(value, P3Hook)
        elif keyword == "on_failure":
            # Prefect 1's on_failure(task, state) and Prefect 3's (task, task_run, state) share a name.
            opts["on_failure"] = _hooks(value, P3Hook if _takes_three(value) else P1Hook)
        elif keyword == "task_run_name":
            out.task_run_name = value
        elif keyword == "description":
            out.description = value
        elif keyword == "version":
            out.version = value
        elif keyword == "cache_key_fn":
            if value is task_input_hash:
                opts["cache"] = True
            elif value is not None:
                opts["cache_key_fn"] = PrefectCacheKey(value)
        elif keyword in ("cache_expiration", "cache_for"):
            if value is not None:
                opts["cache_expiration"] = value
                if keyword == "cache_for":
                    opts["cache"] = True  # Prefect 1 caches a task given cache_for alone
        elif keyword == "refresh_cache":
            opts["refresh_cache"] = bool(value)
        elif keyword == "persist_result":
            opts["persist_result"] = value if value is None else bool(value)
        elif keyword == "result_storage":
            raise FlowDefinitionError(
                f"{who}: daskflow keeps result_storage on the flow; pass @flow(result_storage=...) instead"
            )
        elif keyword in ("slug", "checkpoint") and not value:
            continue  # Prefect 1 defaults that mean nothing here: no slug, no checkpoint
        else:
            _refuse(who, keyword)
    if "retry_delay" in opts:
        opts["retry_delay"] = _retry_delays(opts["retry_delay"], opts.get("retries", 0))
    if out.retry_condition is not None:
        opts["retry_on"] = out.retry_condition
    if trigger is not None or not skip_on_upstream_skip:
        native = as_native_trigger(trigger)
        opts["trigger"] = native if skip_on_upstream_skip else lenient(native)
    return out


def _takes_three(hooks: Any) -> bool:
    import inspect

    first = hooks if callable(hooks) else next(iter(hooks or ()), None)
    if first is None:
        return True
    try:
        parameters = inspect.signature(first).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 3 or any(p.kind is p.VAR_POSITIONAL for p in parameters)


# -- flows ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class FlowKeywords:
    """What a Prefect flow's keywords mean here."""

    options: dict[str, Any]
    state_handlers: tuple[Callable[..., Any], ...] = ()
    retries: int = 0
    retry_delay: float = 0.0
    validate_parameters: bool = True
    description: str | None = None
    version: str | None = None


def flow_keywords(who: str, given: Mapping[str, Any]) -> FlowKeywords:
    """Translate a Prefect 1 ``Flow(...)`` or 2/3 ``@flow(...)``'s keywords; refused ones raise."""
    from .runners import executor_of

    out = FlowKeywords({})
    opts = out.options
    for keyword, value in given.items():
        if keyword == "name":
            opts["name"] = value
        elif keyword in ("task_runner", "executor"):
            if value is not None:
                opts["executor"] = executor_of(value, who)
        elif keyword in ("timeout_seconds", "timeout"):
            opts["timeout"] = _seconds(value)
        elif keyword == "log_prints":
            opts["log_prints"] = bool(value)
        elif keyword == "on_completion":
            opts["on_completion"] = _hooks(value, P3Hook)
        elif keyword == "on_failure":
            opts["on_failure"] = _hooks(value, P3Hook if _takes_three(value) else P1Hook)
        elif keyword == "on_crashed":
            opts["on_crashed"] = _hooks(value, P3Hook)
        elif keyword == "state_handlers":
            out.state_handlers = tuple(value or ())
        elif keyword == "retries":
            out.retries = int(value or 0)
        elif keyword == "retry_delay_seconds":
            out.retry_delay = float(_seconds(value) or 0.0)
        elif keyword == "validate_parameters":
            out.validate_parameters = bool(value)
        elif keyword == "description":
            out.description = value
        elif keyword == "version":
            out.version = value
        elif keyword == "result_storage":
            if value is not None:
                opts["result_storage"] = _storage(who, value)
        elif keyword == "persist_result":
            opts["persist_result"] = value if value is None else bool(value)
        elif keyword in ("tasks", "edges") and not value:
            continue
        else:
            _refuse(who, keyword)
    return out
