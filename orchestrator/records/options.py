"""Task and flow options, each defined once as a frozen dataclass.

``@task(...)``, ``Task.with_options(...)`` and validation all derive from
``TaskOptions``; nothing else lists the options. The retry schedule lives here
too because it is pure logic on the options, tested without a cluster.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import random
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from .errors import FlowDefinitionError
from .notify import DEFAULT_NOTIFY_ON, Notifier, notify_states
from .triggers import Trigger, all_successful, trigger_named

__all__ = [
    "CACHE_MODES",
    "CacheKeyFn",
    "FlowOptions",
    "Hook",
    "RetryDelay",
    "TaskOptions",
    "exponential_backoff",
    "level_number",
    "make_options",
    "storage_url",
]

RetryDelay = float | Sequence[float] | Callable[[int], float]
RetryOn = tuple[type[BaseException], ...] | Callable[[BaseException], bool] | None
#: A state hook: called with (task or flow, its run, the state); see orchestrator.hooks.
Hook = Callable[[Any, Any, Any], object]
#: ``cache_key_fn(task, arguments)``: the task and its arguments by parameter name; a string key, or None
#: for "do not cache this call".
CacheKeyFn = Callable[[Any, dict[str, Any]], "str | None"]
#: What a cache key covers: the inputs alone, or the inputs and the task's code (``cache=True``).
CACHE_MODES: Final = ("inputs", "inputs+source")


@dataclasses.dataclass(frozen=True)
class TaskOptions:
    """Everything that can be set on a task with ``@task(...)`` or ``with_options``.

    ``retry_delay`` is seconds, a list of seconds per retry (the last repeats),
    or a callable from the attempt number (1 for the first retry) to seconds;
    a ``timedelta`` works wherever seconds do (here and in ``timeout``).
    ``retry_jitter`` spreads each delay by up to that fraction either way.
    ``retry_on`` limits retries to some exception types, or to a predicate.
    ``trigger`` is a callable over the upstream states, or the name of a built-in
    one (``"always"``, ``"any_failed"``...). ``nout`` says how many values a call's
    result unpacks into, so ``a, b = t()`` in a flow gives two futures without
    running anything. ``fuse=False`` keeps this task's calls out of fused chains
    and sibling batches (each its own Dask task, say to retry on another
    worker; see orchestrator.engine.fusion and orchestrator.engine.batching).
    ``on_completion`` / ``on_failure`` / ``on_retry`` take a hook or a list of
    hooks ``(task, task_run, state)``, run on the worker (so they must pickle).

    Caching (orchestrator.worker.cache): ``cache`` is True (the inputs and the
    task's code, the same as ``"inputs+source"``), ``"inputs"`` (the inputs
    only) or False; a ``cache_key_fn(task, arguments)`` alone turns it on,
    its string standing in for the inputs. ``cache_expiration`` is seconds or
    a ``timedelta``; ``refresh_cache`` recomputes and overwrites;
    ``cache_version`` is part of every key. ``persist_result`` writes each
    result to the flow's ``result_storage`` (on for cached tasks; None takes
    the flow's ``persist_result``), which ``--resume`` reuses.
    """

    name: str = ""
    retries: int = 0
    retry_delay: RetryDelay = 0.0
    retry_jitter: float = 0.0
    retry_on: RetryOn = None
    timeout: float | None = None
    trigger: Trigger = all_successful
    tags: frozenset[str] = frozenset()
    resources: Mapping[str, float] | None = None
    priority: int = 0
    log_prints: bool = False
    nout: int | None = None
    fuse: bool = True
    on_completion: tuple[Hook, ...] = ()
    on_failure: tuple[Hook, ...] = ()
    on_retry: tuple[Hook, ...] = ()
    cache: bool | str | None = None
    cache_key_fn: CacheKeyFn | None = None
    cache_expiration: float | datetime.timedelta | None = None
    refresh_cache: bool = False
    persist_result: bool | None = None
    cache_version: str | int | None = None

    def __post_init__(self) -> None:
        who = f"task {self.name!r}"
        _normalise_hooks(self, who, ("on_completion", "on_failure", "on_retry"))
        object.__setattr__(self, "retry_delay", _seconds_of(self.retry_delay))
        object.__setattr__(self, "timeout", _seconds_of(self.timeout))
        if isinstance(self.trigger, str):
            object.__setattr__(self, "trigger", trigger_named(self.trigger, who))
        if self.nout is not None and (not isinstance(self.nout, int) or self.nout < 1):
            raise FlowDefinitionError(
                f"{who}: nout is how many values the result unpacks into (>= 1), got {self.nout!r}"
            )
        _check_caching(self, who)
        if not isinstance(self.retries, int) or self.retries < 0:
            raise FlowDefinitionError(f"{who}: retries must be a whole number >= 0, got {self.retries!r}")
        delay = self.retry_delay
        if isinstance(delay, (int, float)):
            if delay < 0:
                raise FlowDefinitionError(f"{who}: retry_delay must be >= 0 seconds, got {delay!r}")
        elif isinstance(delay, Sequence) and not isinstance(delay, str):
            delay = [_seconds_of(d) for d in delay]
            if not delay or any(not isinstance(d, (int, float)) or d < 0 for d in delay):
                raise FlowDefinitionError(
                    f"{who}: retry_delay list must hold seconds >= 0, one per retry, got {delay!r}"
                )
            object.__setattr__(self, "retry_delay", tuple(float(d) for d in delay))
        elif not callable(delay):
            raise FlowDefinitionError(
                f"{who}: retry_delay must be seconds, a list of seconds or a callable attempt -> seconds, got {delay!r}"
            )
        if not 0 <= self.retry_jitter <= 1:
            raise FlowDefinitionError(f"{who}: retry_jitter is a fraction from 0 to 1, got {self.retry_jitter!r}")
        retry_on = self.retry_on
        if isinstance(retry_on, type) and issubclass(retry_on, BaseException):
            object.__setattr__(self, "retry_on", (retry_on,))
        elif isinstance(retry_on, (list, tuple)):
            if not all(isinstance(t, type) and issubclass(t, BaseException) for t in retry_on):
                raise FlowDefinitionError(f"{who}: retry_on must list exception types, got {retry_on!r}")
            object.__setattr__(self, "retry_on", tuple(retry_on))
        elif retry_on is not None and not callable(retry_on):
            raise FlowDefinitionError(
                f"{who}: retry_on takes exception types or a predicate exception -> bool, got {retry_on!r}"
            )
        if self.timeout is not None and (not isinstance(self.timeout, (int, float)) or self.timeout <= 0):
            raise FlowDefinitionError(f"{who}: timeout must be seconds > 0 or None, got {self.timeout!r}")
        if not callable(self.trigger):
            raise FlowDefinitionError(
                f"{who}: trigger must be a callable over upstream states or a built-in trigger's name, "
                f"got {self.trigger!r}"
            )
        if isinstance(self.tags, str):
            object.__setattr__(self, "tags", frozenset({self.tags}))
        elif not isinstance(self.tags, frozenset):
            object.__setattr__(self, "tags", frozenset(self.tags))
        if self.resources is not None and (
            not isinstance(self.resources, Mapping)
            or not all(isinstance(k, str) and isinstance(v, (int, float)) for k, v in self.resources.items())
        ):
            raise FlowDefinitionError(
                f"{who}: resources maps resource names to amounts, like {{'GPU': 1}}, got {self.resources!r}"
            )
        if not isinstance(self.priority, int):
            raise FlowDefinitionError(f"{who}: priority must be an int, got {self.priority!r}")

    @property
    def cache_mode(self) -> str | None:
        """What this task's cache keys cover (one of ``CACHE_MODES``), or None when it does not cache."""
        return self.cache if isinstance(self.cache, str) else None

    def persists(self, flow_default: bool | None) -> bool:
        """Whether results are written to the result storage, given the flow's ``persist_result``."""
        if self.persist_result is not None:
            return self.persist_result
        return self.cache_mode is not None or bool(flow_default)

    def should_retry(self, exc: BaseException, attempt: int) -> bool:
        """Whether a failure on ``attempt`` (1-based) gets another attempt."""
        if attempt > self.retries:
            return False
        retry_on = self.retry_on
        if retry_on is None:
            return True
        if isinstance(retry_on, tuple):
            return isinstance(exc, retry_on)
        return bool(retry_on(exc))

    def retry_delay_for(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1 for the first retry)."""
        delay = self.retry_delay
        if isinstance(delay, tuple):
            seconds = delay[min(attempt, len(delay)) - 1]
        elif callable(delay):
            seconds = float(delay(attempt))
        else:
            seconds = float(delay)  # type: ignore[arg-type]  # the remaining case: a number
        if self.retry_jitter and seconds:
            seconds *= 1 + (rng or random).uniform(-self.retry_jitter, self.retry_jitter)
        return max(float(seconds), 0.0)


def exponential_backoff(
    base: float = 1.0, factor: float = 2.0, max_delay: float | None = None
) -> Callable[[int], float]:
    """A ``retry_delay`` of ``base * factor ** (attempt - 1)`` seconds, capped at ``max_delay``."""
    if base < 0 or factor < 1:
        raise FlowDefinitionError(f"exponential_backoff needs base >= 0 and factor >= 1, got {base!r}, {factor!r}")

    def delay(attempt: int) -> float:
        seconds = base * factor ** (attempt - 1)
        return min(seconds, max_delay) if max_delay is not None else seconds

    delay.__name__ = f"exponential_backoff(base={base:g}, factor={factor:g})"
    return delay


@dataclasses.dataclass(frozen=True)
class FlowOptions:
    """Everything that can be set on a flow with ``@flow(...)`` or ``with_options``.

    ``ship_modules`` lists modules to pickle by value for the workers (a
    helper module they do not have); modules outside site-packages already
    ship when tasks use them (orchestrator.shipping). ``progress`` shows live
    progress while the flow runs: None (the default) shows it in a Jupyter
    notebook only, True everywhere (text outside notebooks), False nowhere;
    ``DASKFLOW_PROGRESS=0`` or ``1`` sets the default. ``log_level`` is the level
    of the run loggers (``get_run_logger()``, ``log_prints``): records below it are
    neither recorded nor shown; default ``DASKFLOW_LOGGING_LEVEL``, else INFO.
    ``timeout`` takes seconds or a ``timedelta``.

    ``notify`` lists notifiers (``Slack``, ``Webhook``, ``Email``, ``Hook``)
    told when a run ends in one of the ``notify_on`` states (by default
    Failed, Crashed and TimedOut), through the run store's durable outbox
    (orchestrator.notify). ``late_after`` (a scheduled run has not started
    that many seconds after its tick) and ``not_completed_within`` (a run is
    still going that many seconds after it started) are checked by
    ``daskflow serve`` and notify the same notifiers.

    ``result_storage`` is where tasks persist results: ``file:///shared/path``,
    any fsspec URL (``s3://bucket/prefix``) or a path (made absolute here);
    None means ``$DASKFLOW_HOME/results`` of the driver. ``persist_result``
    is the default for tasks that do not set their own.
    """

    name: str = ""
    executor: Any = None
    timeout: float | None = None
    log_prints: bool = False
    ship_modules: tuple[types.ModuleType, ...] = ()
    progress: bool | None = None
    log_level: str | int | None = None
    fuse: bool | None = None
    #: Hooks ``(flow, flow_run, state)``, run on the driver once the run ended.
    on_completion: tuple[Hook, ...] = ()
    on_failure: tuple[Hook, ...] = ()
    on_crashed: tuple[Hook, ...] = ()
    result_storage: str | os.PathLike[str] | None = None
    persist_result: bool | None = None
    notify: tuple[Notifier, ...] = ()
    notify_on: frozenset[str] = DEFAULT_NOTIFY_ON
    late_after: float | None = None
    not_completed_within: float | None = None

    def __post_init__(self) -> None:
        who = f"flow {self.name!r}"
        _normalise_hooks(self, who, ("on_completion", "on_failure", "on_crashed"))
        object.__setattr__(self, "timeout", _seconds_of(self.timeout))
        if self.log_level is not None:
            object.__setattr__(self, "log_level", level_number(self.log_level, f"{who}: log_level"))
        notifiers = (self.notify,) if isinstance(self.notify, Notifier) else tuple(self.notify or ())
        for item in notifiers:
            if not isinstance(item, Notifier):
                message = (
                    f"{who}: notify takes notifiers like Slack(url_env=...), Webhook(url), Email(smtp_url, to=[...]) "
                    f"or Hook(fn), got {type(item).__name__}"
                )
                raise FlowDefinitionError(message)
        object.__setattr__(self, "notify", notifiers)
        object.__setattr__(self, "notify_on", notify_states(self.notify_on, who))
        for name in ("late_after", "not_completed_within"):
            seconds = getattr(self, name)
            if seconds is not None and (not isinstance(seconds, (int, float)) or seconds <= 0):
                raise FlowDefinitionError(f"{who}: {name} must be seconds > 0 or None, got {seconds!r}")
        if self.result_storage is not None:
            object.__setattr__(self, "result_storage", storage_url(self.result_storage, who))
        if self.persist_result is not None and not isinstance(self.persist_result, bool):
            message = f"{who}: persist_result is True, False or None, got {self.persist_result!r}"
            raise FlowDefinitionError(message)
        object.__setattr__(self, "ship_modules", _modules(self.ship_modules, f"flow {self.name!r}"))
        if self.progress is not None and not isinstance(self.progress, bool):
            raise FlowDefinitionError(
                f"flow {self.name!r}: progress is True, False or None (in notebooks only), got {self.progress!r}"
            )
        if self.timeout is not None and (not isinstance(self.timeout, (int, float)) or self.timeout <= 0):
            raise FlowDefinitionError(f"flow {self.name!r}: timeout must be seconds > 0 or None, got {self.timeout!r}")


def _check_caching(options: TaskOptions, who: str) -> None:
    """Validate the caching options and store ``cache`` as None, False or one of ``CACHE_MODES``."""
    cache, key_fn = options.cache, options.cache_key_fn
    if key_fn is not None and not callable(key_fn):
        raise FlowDefinitionError(f"{who}: cache_key_fn must be a function (task, arguments) -> str, got {key_fn!r}")
    if cache is True or (cache is None and key_fn is not None):
        cache = "inputs+source"
    elif cache is False and key_fn is not None:
        raise FlowDefinitionError(f"{who}: cache=False but a cache_key_fn is given; drop one of them")
    elif cache is not None and cache is not False and cache not in CACHE_MODES:
        message = f"{who}: cache must be True, False, 'inputs' or 'inputs+source', got {cache!r}"
        raise FlowDefinitionError(message)
    object.__setattr__(options, "cache", cache)
    caches = isinstance(cache, str)
    if not isinstance(options.refresh_cache, bool):
        raise FlowDefinitionError(f"{who}: refresh_cache must be True or False, got {options.refresh_cache!r}")
    if options.refresh_cache and not caches:
        raise FlowDefinitionError(f"{who}: refresh_cache=True needs caching on; add cache=True")
    persist = options.persist_result
    if persist is not None and not isinstance(persist, bool):
        raise FlowDefinitionError(f"{who}: persist_result must be True, False or None, got {persist!r}")
    if persist is False and caches:
        message = f"{who}: cache needs persisted results, but persist_result=False; drop one of them"
        raise FlowDefinitionError(message)
    expiration = _seconds_of(options.cache_expiration)
    if expiration is not None and (
        isinstance(expiration, bool) or not isinstance(expiration, (int, float)) or expiration <= 0
    ):
        message = f"{who}: cache_expiration must be seconds > 0 or a timedelta, got {options.cache_expiration!r}"
        raise FlowDefinitionError(message)
    object.__setattr__(options, "cache_expiration", None if expiration is None else float(expiration))
    version = options.cache_version
    if version is not None and (isinstance(version, bool) or not isinstance(version, (str, int))):
        raise FlowDefinitionError(f"{who}: cache_version must be a string or an int, got {version!r}")


def storage_url(value: str | os.PathLike[str], who: str) -> str:
    """``result_storage`` as a URL: fsspec URLs as given, paths as absolute ``file://`` URLs."""
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        message = (
            f"{who}: result_storage takes a URL like 'file:///shared/results' or 's3://bucket/prefix', got {value!r}"
        )
        raise FlowDefinitionError(message)
    text = os.fspath(value)
    if "://" not in text:
        return Path(text).expanduser().resolve().as_uri()
    if text.startswith("file://") and not text[len("file://") :].startswith("/"):
        message = f"{who}: result_storage {text!r} needs an absolute path, like 'file:///shared/results'"
        raise FlowDefinitionError(message)
    stripped = text.rstrip("/")
    return text if stripped.endswith(":") else stripped


def _normalise_hooks(options: Any, who: str, names: tuple[str, ...]) -> None:
    """Accept one hook or a list of them; store a tuple of callables."""
    for name in names:
        value = getattr(options, name)
        hooks = (value,) if callable(value) else tuple(value or ())
        if not all(callable(h) for h in hooks):
            raise FlowDefinitionError(f"{who}: {name} takes a function (task_or_flow, run, state) or a list of them")
        object.__setattr__(options, name, hooks)


def make_options(cls: type[Any], who: str, base: Any, changes: Mapping[str, Any]) -> Any:
    """Build ``cls`` from ``base`` with ``changes``, naming unknown options in the error."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise FlowDefinitionError(
            f"{who}: unknown option(s) {', '.join(unknown)}; the options are {', '.join(sorted(known))}"
        )
    return dataclasses.replace(base, **changes)


def _modules(value: Any, who: str) -> tuple[types.ModuleType, ...]:
    """``ship_modules=`` as a tuple of modules, or a ``FlowDefinitionError`` naming the parameter."""
    items = (value,) if isinstance(value, types.ModuleType) else value
    if isinstance(items, (str, bytes)) or not isinstance(items, Iterable):
        items = (value,)
    modules = tuple(items)
    for item in modules:
        if not isinstance(item, types.ModuleType):
            shown = repr(item) if len(repr(item)) <= 60 else type(item).__name__
            message = (
                f"{who}: ship_modules takes imported modules, like ship_modules=[my_helpers], "
                f"got {type(item).__name__} {shown}; import the module and pass the module object"
            )
            raise FlowDefinitionError(message)
    return modules


def _seconds_of(value: Any) -> Any:
    """A ``timedelta`` as float seconds; anything else unchanged (validated by the caller)."""
    return value.total_seconds() if isinstance(value, datetime.timedelta) else value


def level_number(level: str | int, what: str) -> int:
    """A logging level given by name (``"debug"``, ``"INFO"``) or number, as its number."""
    if isinstance(level, int) and not isinstance(level, bool):
        return level
    if isinstance(level, str):
        number = logging.getLevelName(level.strip().upper())
        if isinstance(number, int):
            return number
    message = f"{what} is a logging level such as 'DEBUG', 'INFO', 'WARNING' or a number, got {level!r}"
    raise FlowDefinitionError(message)
