"""Triggers: when may a task run, given the final states of its upstream tasks.

A trigger is any callable ``(Sequence[State]) -> bool``. The default,
``all_successful``, is the only one that refuses failed upstreams; a task that
runs under any other trigger with failed upstreams *handles* those failures,
so they no longer fail the flow run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .states import FAILED_TYPES, SUCCESS_TYPES, State

__all__ = [
    "Trigger",
    "all_failed",
    "all_finished",
    "all_successful",
    "always",
    "any_failed",
    "any_successful",
    "skip_reason",
]

Trigger = Callable[[Sequence[State]], bool]


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


def skip_reason(trigger: Trigger, states: Sequence[State]) -> str:
    """Why a task whose trigger said no is Skipped: name the upstream problem when there is one."""
    if trigger is all_successful:
        if any(not s.is_completed and not s.is_skipped for s in states):
            return "upstream failed"
        if any(s.is_skipped for s in states):
            return "upstream skipped"
    name = getattr(trigger, "__name__", repr(trigger))
    return f"trigger {name} not met"
