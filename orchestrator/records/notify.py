"""What a flow's ``notify=`` option holds: the ``Notifier`` base class and the stored ``NotifyRule``.

A notifier (``Slack``, ``Webhook``, ``Email``, ``Hook``: orchestrator.notify)
is configuration only. When a flow run starts, each notifier of the flow
becomes a ``NotifyRule``: a plain, JSON-able record of where to send and on
which states, with secrets left out (only the names of the environment
variables that hold them). The rules are stored with the flow run, so any
process that later records the run's end, or reaps its crashed driver, can
enqueue the notification in the same transaction, and any process with the
secrets in its environment can deliver it.

The states a rule fires on are flow-run states (``notify_on=``), plus two
that no run enters but ``daskflow serve`` detects: ``Late`` (a scheduled run
had not started ``late_after`` seconds after its tick) and ``NotCompleted``
(a run still going ``not_completed_within`` seconds after it started).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Final

from .errors import FlowDefinitionError
from .states import StateType

__all__ = [
    "DEFAULT_NOTIFY_ON",
    "LATE",
    "NOTIFY_STATES",
    "NOT_COMPLETED",
    "Notifier",
    "NotifyRule",
    "build_rules",
    "notify_states",
]

#: ``notify_on=`` when not given: the ways a run can go wrong.
DEFAULT_NOTIFY_ON: Final = frozenset({"Failed", "Crashed", "TimedOut"})
#: The flow-run states a rule may fire on.
NOTIFY_STATES: Final = frozenset({"Completed", "Failed", "TimedOut", "Crashed", "Cancelled"})
LATE: Final = "Late"
NOT_COMPLETED: Final = "NotCompleted"


class Notifier:
    """Base class of the notifiers a flow's ``notify=`` takes; see orchestrator.notify.

    Subclasses set ``kind`` and implement ``config()`` (what the deliverer
    needs, without secrets) and ``target()`` (where it goes, safe to show).
    ``retries`` failed deliveries are retried, ``backoff`` seconds after the
    first failure and twice as long after each next one; ``timeout`` bounds
    one attempt.
    """

    kind: str = ""

    def __init__(self, *, retries: int = 3, backoff: float = 1.0, timeout: float = 10.0) -> None:
        who = type(self).__name__
        if not isinstance(retries, int) or retries < 0:
            raise FlowDefinitionError(f"{who}: retries must be a whole number >= 0, got {retries!r}")
        if not isinstance(backoff, (int, float)) or backoff < 0:
            raise FlowDefinitionError(f"{who}: backoff must be seconds >= 0, got {backoff!r}")
        if not isinstance(timeout, (int, float)) or timeout <= 0:
            raise FlowDefinitionError(f"{who}: timeout must be seconds > 0, got {timeout!r}")
        self.retries = retries
        self.backoff = float(backoff)
        self.timeout = float(timeout)

    def config(self) -> dict[str, Any]:
        """What the deliverer needs to send, JSON-able and free of secrets (env var names instead)."""
        raise NotImplementedError

    def target(self) -> str:
        """Where notifications go, safe to print and store (no secret, no webhook path)."""
        raise NotImplementedError

    def payload(self) -> bytes | None:
        """Opaque bytes stored with the rule (a ``Hook``'s pickled callable); None for most notifiers."""
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.target()})"


@dataclasses.dataclass(frozen=True)
class NotifyRule:
    """One notifier of one flow run, as stored: see the module docstring."""

    rule_id: str
    kind: str
    target: str
    config: Mapping[str, Any]
    states: frozenset[str]
    late_after: float | None = None
    not_completed_within: float | None = None
    max_attempts: int = 4
    backoff: float = 1.0
    timeout: float = 10.0
    payload: bytes | None = None

    def as_dict(self) -> dict[str, Any]:
        """The rule as the run store takes it (plain types only)."""
        return {
            "rule_id": self.rule_id,
            "kind": self.kind,
            "target": self.target,
            "config": dict(self.config),
            "states": sorted(self.states),
            "late_after": self.late_after,
            "not_completed_within": self.not_completed_within,
            "max_attempts": self.max_attempts,
            "backoff": self.backoff,
            "timeout": self.timeout,
            "payload": self.payload,
        }


def notify_states(value: Any, who: str) -> frozenset[str]:
    """``notify_on=`` as a set of state names; a ``FlowDefinitionError`` naming the bad one otherwise."""
    items: Iterable[Any] = (value,) if isinstance(value, (str, StateType)) else value
    names: set[str] = set()
    for item in items:
        name = item.value if isinstance(item, StateType) else item
        if name not in NOTIFY_STATES:
            allowed = ", ".join(sorted(NOTIFY_STATES))
            message = (
                f"{who}: notify_on takes flow-run states ({allowed}), got {item!r}; "
                "for late or overdue runs use late_after= / not_completed_within="
            )
            raise FlowDefinitionError(message)
        names.add(name)
    return frozenset(names)


def build_rules(
    notifiers: Iterable[Notifier],
    states: frozenset[str],
    late_after: float | None,
    not_completed_within: float | None,
) -> tuple[NotifyRule, ...]:
    """The rules to store with a flow run; identical notifiers give one rule (one message, not two)."""
    fired = set(states)
    if late_after is not None:
        fired.add(LATE)
    if not_completed_within is not None:
        fired.add(NOT_COMPLETED)
    rules: dict[str, NotifyRule] = {}
    for notifier in notifiers:
        config = notifier.config()
        payload = notifier.payload()
        identity = json.dumps([notifier.kind, config, sorted(fired), late_after, not_completed_within], sort_keys=True)
        digest = hashlib.sha256(identity.encode() + (payload or b"")).hexdigest()[:12]
        rule_id = f"{notifier.kind}-{digest}"
        rules[rule_id] = NotifyRule(
            rule_id=rule_id,
            kind=notifier.kind,
            target=notifier.target(),
            config=config,
            states=frozenset(fired),
            late_after=late_after,
            not_completed_within=not_completed_within,
            max_attempts=notifier.retries + 1,
            backoff=notifier.backoff,
            timeout=notifier.timeout,
            payload=payload,
        )
    return tuple(rules.values())
