"""What one task's calls do about caching, persisted results and concurrency slots in one run.

The driver decides it once per task and run (``orchestrator.engine.task_plans``)
and ships it in the task's ``TaskSpec`` as a ``TaskPlan``; tasks that neither
cache, persist nor take slots get no plan, and their calls pay nothing.

For each call the state layer opens a ``CallCache``:

* **The key** is a sha256 over the task's *fingerprint* (module, qualified
  name, ``cache_version`` and, unless ``cache="inputs"``, its source and the
  globals and closure cells it references; computed on the driver, where the
  source is) and the call's inputs, bound to the function's parameters by
  name (so ``f(1)`` and ``f(x=1)`` agree, and defaults count). An input that
  comes from an upstream task with a cache key contributes that key, not its
  value; any other input is tokenized with ``orchestrator.worker.tokens``. A
  ``cache_key_fn(task, arguments)`` replaces the inputs with its string.
  If any input has no deterministic token the call is not cached at all
  (``reason`` says which argument; the driver warns once per task).
* **Lookup** (``lookup``): a key the resumed run persisted (``plan.resume``,
  key to location) is reused from there; otherwise a caching task reads
  ``<storage>/<key>`` unless ``refresh_cache``. Files are verified
  (orchestrator.worker.results); a bad one is a miss, noted in the state's
  message, and the task runs.
* **Save** (``save``): a persisting task writes its Completed result under
  its key; the record rides the task's final state event to the driver's
  store. A write that fails leaves the task Completed, with the reason in
  its message.
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import weakref
from collections.abc import Mapping, Sequence
from typing import Any

from ..records.clock import Clock
from ..records.states import SUCCESS_TYPES, State, StateType
from . import results
from .serialization import TaskLike
from .shipped import Shipped
from .templates import Deep, Slot, fill_template, upstream_values, value_of
from .tokens import NotDeterministic, Opaque, stable_token

__all__ = ["CachePlan", "CallCache", "TaskPlan"]


@dataclasses.dataclass(frozen=True)
class CachePlan:
    """How one task's calls cache and persist in one run; picklable, shipped once per run in the spec.

    ``resume`` maps the cache keys of this task's results in the resumed run
    (and the runs that one resumed) to their locations.
    """

    fingerprint: str
    storage: str
    lookup: bool
    persist: bool
    refresh: bool = False
    expiration: float | None = None
    resume: Mapping[str, str] = dataclasses.field(default_factory=dict)
    resume_from: str | None = None


_SIGNATURES: weakref.WeakKeyDictionary[Any, inspect.Signature] = weakref.WeakKeyDictionary()


def _signature(fn: Any) -> inspect.Signature | None:
    """The task function's signature, read once per process (None for callables without one)."""
    try:
        return _SIGNATURES[fn]
    except (KeyError, TypeError):
        pass
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        return None
    with contextlib.suppress(TypeError):  # not weakly referenceable: read it each time
        _SIGNATURES[fn] = signature
    return signature


class TaskPlan:
    """What the driver decided for one task in one run: its ``CachePlan`` and its concurrency slots."""

    __slots__ = ("cache", "slots")

    def __init__(self, cache: CachePlan | None, slots: Mapping[str, int] | None = None) -> None:
        self.cache = cache
        #: Tag -> the number of slots of that tag: each call holds one slot of every tag while it runs.
        self.slots = dict(slots or {})

    def __reduce__(self) -> tuple[Any, ...]:
        return (TaskPlan, (self.cache, self.slots))


class CallCache:
    """The cache side of one task call: its key, a lookup, the save, and what its state event says."""

    __slots__ = ("hit", "key", "note", "plan", "reason", "record", "run_id", "task")

    def __init__(self, plan: CachePlan, task: TaskLike, run_id: str, call: Any, upstream: Sequence[State]) -> None:
        self.plan = plan
        self.task = task
        self.run_id = run_id
        self.hit: str | None = None
        self.note: str | None = None
        self.record: results.ResultRecord | None = None
        self.reason: str | None = None
        self.key: str | None = None
        try:
            self.key = _call_key(plan, task, call, upstream)
        except NotDeterministic as exc:
            self.reason = str(exc)
        except Exception:  # noqa: BLE001 - arguments the call itself will fail on: nothing to cache
            self.key = None

    def lookup(self, clock: Clock, start: float) -> State | None:
        """A Cached state with the persisted value, or None (a miss: the task runs)."""
        key, plan = self.key, self.plan
        if key is None or plan.refresh:
            return None
        location, kind = None, None
        if key in plan.resume:
            location, kind = plan.resume[key], "resume"
        elif plan.lookup:
            location, kind = results.location_for(plan.storage, key), "cache"
        if location is None:
            return None
        found, value, header, why = results.read_result(location, key, clock.now())
        if not found:
            if why:
                self.note = f"persisted result not used, recomputed: {location}: {why}"
            return None
        self.hit, self.record = kind, header
        source = f"reused from flow run {plan.resume_from}" if kind == "resume" else "cache hit"
        message = f"{source} ({key[:12]}, written by flow run {header.get('run') if header else '?'})"
        return State(StateType.CACHED, value, message=message, start=start, end=clock.now(), cache_key=key)

    def save(self, state: State, clock: Clock) -> None:
        """Persist a Completed state's value (a persisting task), and give the state its cache key."""
        key, plan = self.key, self.plan
        if key is None or state.type is not StateType.COMPLETED:
            return
        state.cache_key = key
        if not plan.persist:
            return
        now = clock.now()
        expires = None if plan.expiration is None else now + plan.expiration
        try:
            self.record = results.write_result(plan.storage, key, state.data, self.task.name, self.run_id, now, expires)
        except Exception as exc:  # noqa: BLE001 - a result that cannot be persisted leaves the task Completed
            self.note = f"result not persisted ({type(exc).__name__}: {exc})"
        if self.note:
            state.message = self.note

    def event_fields(self) -> dict[str, Any] | None:
        """What the task's final state event carries: the result record and how it was got, or why not cached."""
        if self.record is not None:
            fields: dict[str, Any] = {"result": self.record}
            if self.hit:
                fields["hit"] = self.hit
            return fields
        if self.reason is not None:
            return {"nocache": self.reason}
        return None


def _call_key(plan: CachePlan, task: TaskLike, call: Any, upstream: Sequence[State]) -> str | None:
    """The cache key of one call; None when it has none (its arguments do not fit its signature)."""
    key_fn = task.options.cache_key_fn
    if key_fn is not None:
        arguments = _bound(task, *_filled(call, upstream))
        if arguments is None:
            return None
        try:
            custom = key_fn(task, arguments)
        except Exception as exc:  # noqa: BLE001 - a broken key function means: not cached, said once
            raise NotDeterministic(f"its cache_key_fn raised {type(exc).__name__}: {exc}") from None
        if custom is None:
            return None
        if not isinstance(custom, str):
            raise NotDeterministic(f"its cache_key_fn returned {type(custom).__name__}, not a string")
        return stable_token((plan.fingerprint, "key_fn", custom))
    templates = _bound(task, call.args, call.kwargs)
    if templates is None:
        return None
    inputs = []
    for name, template in templates.items():
        value = _keyable(template, call, upstream)
        try:
            inputs.append((name, stable_token(value)))
        except NotDeterministic as exc:
            shown = type(value).__qualname__
            raise NotDeterministic(
                f"argument {name!r} ({shown}) cannot be tokenized deterministically: {exc}"
            ) from None
    return stable_token((plan.fingerprint, "inputs", tuple(inputs)))


def _bound(task: TaskLike, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
    signature = _signature(task.fn)
    if signature is None:
        return {**{str(i): a for i, a in enumerate(args)}, **kwargs}
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError:
        return None  # the call itself fails with this error; there is nothing to cache
    bound.apply_defaults()
    return dict(bound.arguments)


def _filled(call: Any, upstream: Sequence[State]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if not call.fill:
        return call.args, call.kwargs
    values = upstream_values(call.allow, upstream)
    return tuple(fill_template(a, values) for a in call.args), {
        k: fill_template(v, values) for k, v in call.kwargs.items()
    }


def _keyable(template: Any, call: Any, upstream: Sequence[State]) -> Any:
    """An argument template with upstream slots replaced by their cache keys (or values) and shipped values loaded."""
    kind = type(template)
    if kind is Slot:
        state = upstream[template.index]
        allowed = bool(call.allow) and template.index in call.allow
        if state.type in SUCCESS_TYPES and state.cache_key:
            return Opaque(f"{state.cache_key}[{template.item}]" if template.item is not None else state.cache_key)
        if allowed:
            return ("state", state.type.value, state.data if state.type in SUCCESS_TYPES else state.message)
        value = value_of(state)
        return value if template.item is None else value[template.item]
    if kind is Deep:
        inner = template.value
        if isinstance(inner, dict):
            return {k: _keyable(v, call, upstream) for k, v in inner.items()}
        return type(inner)(_keyable(v, call, upstream) for v in inner)
    if kind is Shipped:
        return template.value
    return template
