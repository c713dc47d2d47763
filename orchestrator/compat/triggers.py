"""Prefect 1's triggers (``prefect.triggers``), and how any Prefect 1 trigger runs as daskflow's.

A Prefect 1 trigger is a function of ``upstream_states: Dict[Edge, State]``
that returns True or raises ``TRIGGERFAIL``. The built-in ones here keep that
signature, so user triggers that call them still work; passed as a task's
``trigger=``, each maps to daskflow's own (``all_successful`` to
``all_successful``...), and any other callable is adapted by ``P1Trigger``,
which shows it Prefect 1 states. ``manual_only`` needed a person to resume the
flow from Prefect's UI, which daskflow does not have: using it is an error
that says so. ``skip_on_upstream_skip=False`` is ``lenient``: skipped
upstreams count as successful, as Prefect 1's ``Skipped`` was a ``Success``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..records import triggers as native
from ..records.errors import FlowDefinitionError
from ..records.states import State as NativeState
from ..records.states import StateType as Native
from .signals import TRIGGERFAIL
from .states import P1State, p1_from_native

__all__ = [
    "Edge",
    "P1Trigger",
    "all_failed",
    "all_finished",
    "all_successful",
    "always_run",
    "any_failed",
    "any_successful",
    "as_native_trigger",
    "lenient",
    "manual_only",
    "not_all_skipped",
    "some_failed",
    "some_successful",
]

Upstream = Mapping[Any, P1State]


class Edge:
    """An upstream edge, as Prefect 1 triggers see it (``upstream_states`` is keyed by edges)."""

    def __init__(self, index: int, key: str | None) -> None:
        self.index, self.key = index, key

    def __repr__(self) -> str:
        return f"<Edge {self.index}: {self.key}>"


def _check(ok: bool, name: str) -> bool:
    if not ok:
        raise TRIGGERFAIL(f'Trigger was "{name}" but it was not met by the upstream states.')
    return True


def all_successful(upstream_states: Upstream) -> bool:
    """Run if every upstream succeeded (the default)."""
    return _check(all(s.is_successful() for s in upstream_states.values()), "all_successful")


def all_failed(upstream_states: Upstream) -> bool:
    """Run if every upstream failed."""
    return _check(all(s.is_failed() for s in upstream_states.values()), "all_failed")


def any_successful(upstream_states: Upstream) -> bool:
    """Run if at least one upstream succeeded."""
    return _check(any(s.is_successful() for s in upstream_states.values()), "any_successful")


def any_failed(upstream_states: Upstream) -> bool:
    """Run if at least one upstream failed."""
    return _check(any(s.is_failed() for s in upstream_states.values()), "any_failed")


def all_finished(upstream_states: Upstream) -> bool:
    """Run whatever the upstreams ended as."""
    return True


always_run = all_finished
some_failed = any_failed
some_successful = any_successful


def not_all_skipped(upstream_states: Upstream) -> bool:
    """Run unless every upstream was skipped."""
    return _check(not all(s.is_skipped() for s in upstream_states.values()), "not_all_skipped")


def manual_only(upstream_states: Upstream) -> bool:
    """Prefect 1 waited for a person to resume the flow in its UI; daskflow has no such pause."""
    message = (
        "manual_only waits for a person to approve the task in Prefect's UI, which daskflow does not have; "
        "remove the trigger, or gate the task on a Parameter with case()"
    )
    raise FlowDefinitionError(message)


_NATIVE: dict[Callable[..., Any], native.Trigger] = {
    all_successful: native.all_successful,
    all_failed: native.all_failed,
    any_successful: native.any_successful,
    any_failed: native.any_failed,
    all_finished: native.all_finished,
    not_all_skipped: native.not_all_skipped,
}


class P1Trigger:
    """A Prefect 1 trigger (``upstream_states -> bool`` or raise) as daskflow's (``states -> bool``)."""

    def __init__(self, trigger: Callable[[Upstream], Any]) -> None:
        self.trigger = trigger
        self.__name__ = getattr(trigger, "__name__", "trigger")

    def __call__(self, states: Sequence[NativeState]) -> bool:
        upstream = {
            Edge(i, s.key): p1_from_native(
                s.type, s.message, s.data, s.data if isinstance(s.data, BaseException) else None
            )
            for i, s in enumerate(states)
        }
        try:
            return bool(self.trigger(upstream))
        except TRIGGERFAIL:
            return False


class _Lenient:
    """``skip_on_upstream_skip=False``: skipped upstreams count as successful for the trigger."""

    def __init__(self, trigger: native.Trigger) -> None:
        self.trigger = trigger
        self.__name__ = getattr(trigger, "__name__", "trigger")

    def __call__(self, states: Sequence[NativeState]) -> bool:
        seen = [NativeState(Native.COMPLETED, key=s.key) if s.type is Native.SKIPPED else s for s in states]
        return bool(self.trigger(seen))


def lenient(trigger: native.Trigger) -> native.Trigger:
    return _Lenient(trigger)


def as_native_trigger(trigger: Any) -> native.Trigger:
    """The daskflow trigger for a ``trigger=`` given to a compat task (None: the default)."""
    if trigger is None:
        return native.all_successful
    if trigger is manual_only:
        manual_only({})
    if isinstance(trigger, str):
        return native.trigger_named(trigger, "trigger")
    if trigger in _NATIVE.values():
        return trigger  # type: ignore[no-any-return]
    found = _NATIVE.get(trigger)
    return found if found is not None else P1Trigger(trigger)
