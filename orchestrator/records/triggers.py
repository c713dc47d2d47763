"""Triggers: when may a task run, given the final states of its upstream tasks.

A trigger is any callable ``(Sequence[State]) -> bool``. The default,
``all_successful``, is the only one that refuses failed upstreams; a task that
runs under any other trigger with failed upstreams *handles* those failures,
so they no longer fail the flow run.

``not_all_skipped`` is what ``merge(...)`` runs under: every upstream finished
well (Completed or Skipped) and at least one branch actually ran. Skips caused
by a false ``case(...)`` condition keep their reason, "condition false", all
the way down the branch, so the states say why a task did not run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .errors import FlowDefinitionError
from .states import FAILED_TYPES, SUCCESS_TYPES, State

__all__ = [
    "CONDITION_FALSE",
    "Trigger",
    "all_failed",
    "all_finished",
    "all_successful",
    "always",
    "any_failed",
    "any_successful",
    "not_all_skipped",
    "skip_reason",
    "trigger_named",
]

Trigger = Callable[[Sequence[State]], bool]

#: The reason of a task Skipped because it sits on the untaken branch of a ``case``.
CONDITION_FALSE = "condition false"


def all_successful(states: Sequence[State]) -> bool:
    """Run only if every upstream task completed (the default)."""
    return all(s.type in SUCCESS_TYPES for s in states)


def all_finished(states: Sequence[State]) -> bool:
    """Run whatever the upstream tasks ended as."""
    return True


always = all_finished


def any_failed(states: Sequence[State]) -> bool:
    """Run if at least one upstream task failed, timed out or crashed."""
    return any(s.type in FAILED_TYPES for s in states)


def all_failed(states: Sequence[State]) -> bool:
    """Run if every upstream task failed, timed out or crashed."""
    return all(s.type in FAILED_TYPES for s in states)


def any_successful(states: Sequence[State]) -> bool:
    """Run if at least one upstream task completed."""
    return any(s.type in SUCCESS_TYPES for s in states)


def not_all_skipped(states: Sequence[State]) -> bool:
    """Run if every upstream task completed or was skipped, and not all were skipped."""
    return all(s.is_completed or s.is_skipped for s in states) and not all(s.is_skipped for s in states)


def skip_reason(trigger: Trigger, states: Sequence[State]) -> str:
    """Why a task whose trigger said no is Skipped: name the upstream problem when there is one."""
    if trigger is all_successful or trigger is not_all_skipped:
        if any(not s.is_completed and not s.is_skipped for s in states):
            return "upstream failed"
        if any(s.is_skipped and s.message == CONDITION_FALSE for s in states):
            return CONDITION_FALSE
        if any(s.is_skipped for s in states):
            return "upstream skipped"
    name = getattr(trigger, "__name__", repr(trigger))
    return f"trigger {name} not met"


def trigger_named(name: str, who: str) -> Trigger:
    """The built-in trigger called ``name`` (``trigger="always"``); an error listing them otherwise."""
    found = _BUILT_IN.get(name.strip())
    if found is None:
        known = ", ".join(sorted(_BUILT_IN))
        message = f"{who}: trigger {name!r} is not a built-in trigger; pass one of {known}, or a callable"
        raise FlowDefinitionError(message)
    return found


_BUILT_IN: dict[str, Trigger] = {
    f.__name__: f for f in (all_successful, all_finished, any_failed, all_failed, any_successful, not_all_skipped)
}
_BUILT_IN["always"] = always
