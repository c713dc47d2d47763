"""``Schedule``: when a flow runs and what happens to missed ticks, validated and normalised once.

A schedule has exactly one cadence: ``cron="30 2 * * *"`` (five fields, or
``@hourly``, ``@daily``...), ``interval=60`` (seconds of elapsed time) or
``rrule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=9"`` (RFC 5545, optionally with a
``DTSTART``), in ``timezone`` (an IANA name, default UTC). ``anchor`` is an
interval's origin or an rrule's start; an rrule given none gets its start
when the schedule is first registered, stored and never recomputed.

Its **id** is a hash of the flow name, the kind, the normalised expression,
the zone, the anchor the user gave, and the parameters, so the same
schedule has the same id after every restart or redeploy; changing any of
them makes a new schedule, which starts from the moment it is registered.
``catchup`` (``"all"``, the default, ``"latest"`` or ``"none"``),
``max_catchup`` and ``max_active_runs`` are policies, not identity.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
import zoneinfo
from collections.abc import Mapping
from typing import Any, Final

from cronsim import CronSim, CronSimError
from dateutil.rrule import rrulestr

from ..records.errors import OrchestratorError
from .ticks import Cadence

__all__ = ["CATCHUP_POLICIES", "Schedule", "ScheduleError"]

CATCHUP_POLICIES: Final = ("all", "latest", "none")
_MACROS: Final = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


class ScheduleError(OrchestratorError, ValueError):
    """Raised for a schedule that cannot work: a bad cron or rrule, an unknown zone, a bad policy.

    The message names the field and the value; fix the schedule and serve again.
    """


@dataclasses.dataclass(frozen=True)
class Schedule:
    """When a flow runs: see the module docstring."""

    cron: str | None = None
    interval: float | None = None
    rrule: str | None = None
    timezone: str = "UTC"
    parameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    catchup: str = "all"
    max_catchup: int | None = None
    max_active_runs: int = 1
    anchor: dt.datetime | float | None = None

    def __post_init__(self) -> None:
        given = [name for name in ("cron", "interval", "rrule") if getattr(self, name) is not None]
        if len(given) != 1:
            message = (
                "a schedule takes exactly one of cron='30 2 * * *', interval=SECONDS or rrule='FREQ=...', "
                f"got {', '.join(given) or 'none'}"
            )
            raise ScheduleError(message)
        zone = _zone(self.timezone)
        object.__setattr__(self, "parameters", dict(self.parameters or {}))
        if self.catchup not in CATCHUP_POLICIES:
            raise ScheduleError(f"catchup is one of {', '.join(CATCHUP_POLICIES)}, got {self.catchup!r}")
        if self.max_catchup is not None and (not isinstance(self.max_catchup, int) or self.max_catchup < 0):
            raise ScheduleError(f"max_catchup is a whole number >= 0 or None, got {self.max_catchup!r}")
        if not isinstance(self.max_active_runs, int) or self.max_active_runs < 1:
            raise ScheduleError(f"max_active_runs is a whole number >= 1, got {self.max_active_runs!r}")
        anchor = self.anchor
        if isinstance(anchor, dt.datetime):
            # A naive anchor is a wall time in the schedule's zone.
            anchor = (anchor if anchor.tzinfo else anchor.replace(tzinfo=zone)).timestamp()
        elif anchor is not None and not isinstance(anchor, (int, float)):
            raise ScheduleError(f"anchor is a datetime or epoch seconds, got {type(anchor).__name__}")
        kind, expression = given[0], ""
        if self.cron is not None:
            expression = _cron(self.cron)
        elif self.interval is not None:
            expression = _interval(self.interval)
        else:
            assert self.rrule is not None
            expression, start = _rrule(self.rrule, zone)
            anchor = start if start is not None else anchor
        object.__setattr__(self, "anchor", None if anchor is None else float(anchor))
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_expression", expression)

    @property
    def kind(self) -> str:
        """``cron``, ``interval`` or ``rrule``."""
        return str(self.__dict__["_kind"])

    @property
    def expression(self) -> str:
        """The normalised cron expression, interval seconds, or RRULE."""
        return str(self.__dict__["_expression"])

    def cadence(self, stored_anchor: float | None = None) -> Cadence:
        """The tick function, with the anchor the store holds for this schedule (an rrule's registered start)."""
        anchor = float(self.anchor) if isinstance(self.anchor, (int, float)) else stored_anchor
        return Cadence(self.kind, self.expression, _zone(self.timezone), anchor)

    def schedule_id(self, flow_name: str) -> str:
        """The schedule's stable id: see the module docstring."""
        identity = {
            "flow": flow_name,
            "kind": self.kind,
            "expression": self.expression,
            "timezone": self.timezone,
            "anchor": self.anchor,
            "parameters": self.parameters,
        }
        text = json.dumps(identity, sort_keys=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def describe(self) -> str:
        """A short description like ``cron '30 2 * * *' (Europe/Berlin)`` or ``every 60 s``."""
        if self.kind == "interval":
            return f"every {float(self.expression):g} s"
        return f"{self.kind} {self.expression!r} ({self.timezone})"


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ScheduleError(f"timezone {name!r} is not an IANA zone name like 'Europe/Berlin' or 'UTC'") from None


def _cron(text: str) -> str:
    expression = " ".join(_MACROS.get(text.strip().lower(), text).split()).upper()
    if len(expression.split()) != 5:
        message = f"cron {text!r}: expected five fields (minute hour day-of-month month day-of-week), like '30 2 * * *'"
        raise ScheduleError(message)
    try:
        next(CronSim(expression, dt.datetime(2000, 1, 1)))
    except (CronSimError, StopIteration) as exc:
        raise ScheduleError(f"cron {text!r}: {exc or 'it never fires'}") from None
    return expression


def _interval(value: Any) -> str:
    if isinstance(value, dt.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ScheduleError(f"interval is a number of seconds > 0 (or a timedelta), got {value!r}")
    return repr(float(value))


_DTSTART = re.compile(r"^DTSTART(?:;TZID=(?P<tz>[^:]+))?:(?P<value>\S+)$")


def _rrule(text: str, zone: zoneinfo.ZoneInfo) -> tuple[str, float | None]:
    """The normalised RRULE (its parts sorted, FREQ first) and the DTSTART it gave, as epoch seconds."""
    start: float | None = None
    rule = ""
    for line in text.strip().upper().splitlines():
        line = line.strip()
        match = _DTSTART.match(line)
        if match:
            stamp = dt.datetime.strptime(match["value"].rstrip("Z"), "%Y%m%dT%H%M%S")
            where = dt.timezone.utc if match["value"].endswith("Z") else _zone(match["tz"]) if match["tz"] else zone
            start = stamp.replace(tzinfo=where).timestamp()
        elif line:
            rule = line.removeprefix("RRULE:")
    try:
        parts = dict(part.split("=", 1) for part in rule.split(";") if part)
        if "FREQ" not in parts:
            raise ValueError("it has no FREQ=")
        normalised = ";".join(f"{key}={parts[key]}" for key in sorted(parts, key=lambda k: (k != "FREQ", k)))
        rrulestr(normalised, dtstart=dt.datetime(2000, 1, 1))
    except ValueError as exc:
        raise ScheduleError(
            f"rrule {text!r}: {exc}; expected something like 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30'"
        ) from None
    return normalised, start
