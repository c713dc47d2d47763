"""What a notification says: the ``Notification`` record hooks receive, its JSON body and its text."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..history.store import ClaimedNotification
from ..history.store.convert import iso_utc

__all__ = ["Notification"]

_WHAT = {
    "Late": "is late",
    "NotCompleted": "has not completed in time",
}


@dataclasses.dataclass(frozen=True)
class Notification:
    """A flow run reached a state a notifier watches (or ``serve`` found it Late / NotCompleted).

    ``id`` is the same on every delivery attempt (a webhook's ``Idempotency-Key``).
    """

    id: str
    flow: str
    run_id: str
    state: str
    message: str | None
    attempt: int
    created: float
    schedule_id: str | None = None
    tick: float | None = None

    @classmethod
    def of(cls, claimed: ClaimedNotification) -> Notification:
        row = claimed.row
        return cls(
            id=row.notification_id,
            flow=row.flow_name,
            run_id=row.run_id,
            state=row.state,
            message=row.message,
            attempt=row.attempt,
            created=row.created,
            schedule_id=claimed.schedule_id,
            tick=claimed.tick,
        )

    @property
    def title(self) -> str:
        what = _WHAT.get(self.state, f"ended {self.state}")
        return f"daskflow: flow run {self.run_id} of {self.flow!r} {what}"

    def text(self) -> str:
        """One or two lines for Slack and email."""
        lines = [self.title + (f": {self.message}" if self.message else "")]
        if self.tick is not None:
            lines.append(f"scheduled tick {iso_utc(self.tick)} (schedule {self.schedule_id})")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        """The webhook body."""
        return {
            "id": self.id,
            "flow": self.flow,
            "run_id": self.run_id,
            "state": self.state,
            "message": self.message,
            "attempt": self.attempt,
            "created": iso_utc(self.created),
            "schedule_id": self.schedule_id,
            "tick": iso_utc(self.tick) if self.tick is not None else None,
            "text": self.text(),
        }
