"""Tick times: pure functions from a schedule's cadence to the UTC instants it fires at.

The policy (README, "Schedules and notifications", has it as a table):

* **An interval is elapsed time.** Ticks are ``anchor + k * interval`` seconds
  (the anchor defaults to the Unix epoch, so ``interval=60`` fires on every
  whole UTC minute); the zone plays no part and DST changes nothing.
* **Cron and rrule walk wall-clock time in their zone.** The expression picks
  local wall times; each maps to instants as follows.
* **A wall time that does not exist** (spring forward) fires once, at the
  first valid instant after the gap. Several missing wall times in one gap,
  or a missing one and the real time right after the gap, are that one tick.
* **A wall time that occurs twice** (fall back) fires once, at its first
  occurrence, for a *fixed-hour* entry (the cron hour field does not start
  with ``*``, an rrule coarser than hourly or with ``BYHOUR``); a
  *wildcard-hour* entry (``0 * * * *``, ``*/15 * * * *``, ``FREQ=HOURLY``)
  fires at both occurrences, one per real hour.

The cron grammar (ranges, steps, names, ``L``, ``W``, ``#``, Debian's
day-of-month *or* day-of-week rule) is cronsim's, used on **naive** wall
times only; its own time-zone mode is not used, because it skips a 02:30
fire time in Lord Howe's 30-minute shift and can return a time before its
start inside a repeated hour, the bugs this policy exists to avoid.
dateutil walks rrules, also on naive wall times. Everything here is pure:
callers pass the instant to start after, so tests need no clock at all.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
from collections.abc import Callable, Iterator
from typing import Final
from zoneinfo import ZoneInfo

from cronsim import CronSim
from dateutil.rrule import rrulestr

__all__ = ["Cadence", "first_instant", "instants_of", "wall_time"]

#: Longer than any DST shift (Antarctica/Troll moves 2 h): how far back in wall time a walk starts,
#: so the second occurrence of a repeated wall time before the start instant is not missed.
_MARGIN: Final = dt.timedelta(hours=3)


def wall_time(instant: float, zone: ZoneInfo) -> dt.datetime:
    """The naive local wall time at ``instant`` in ``zone``."""
    return dt.datetime.fromtimestamp(instant, zone).replace(tzinfo=None)


def instants_of(wall: dt.datetime, zone: ZoneInfo, every_real_hour: bool) -> tuple[float, ...]:
    """The instants a matching naive ``wall`` time fires at, earliest first (see the module docstring)."""
    first = wall.replace(tzinfo=zone, fold=0).timestamp()
    second = wall.replace(tzinfo=zone, fold=1).timestamp()
    if first == second:
        return (first,)
    if first < second:  # a repeated wall time (PEP 495: fold=0 is the earlier instant)
        return (first, second) if every_real_hour else (first,)
    return (first_instant(wall, second, first, zone),)  # a wall time inside a gap


def first_instant(wall: dt.datetime, before: float, after: float, zone: ZoneInfo) -> float:
    """The first whole second, between ``before`` (wall time < ``wall``) and ``after``, whose wall time is >= ``wall``.

    For a wall time in a spring-forward gap that is the instant the gap ends.
    """
    low, high = math.floor(before), math.ceil(after)
    while high - low > 1:
        middle = (low + high) // 2
        if wall_time(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return float(high)


@dataclasses.dataclass(frozen=True)
class Cadence:
    """When one schedule fires: ``kind`` is ``cron``, ``interval`` or ``rrule``; see the module docstring.

    ``anchor`` is epoch seconds: an interval's origin, or an rrule's start (its
    wall time in ``zone`` is the rule's DTSTART).
    """

    kind: str
    expression: str
    zone: ZoneInfo
    anchor: float | None = None

    def after(self, instant: float) -> float | None:
        """The first tick strictly after ``instant``; None if the schedule has no more."""
        return next(self.ticks(instant), None)

    def between(self, start: float, end: float) -> Iterator[float]:
        """Ticks in ``(start, end]``, in order."""
        for tick in self.ticks(start):
            if tick > end:
                return
            yield tick

    def upcoming(self, instant: float, count: int) -> list[float]:
        """The next ``count`` ticks after ``instant`` (fewer if the schedule ends)."""
        found: list[float] = []
        for tick in self.ticks(instant):
            found.append(tick)
            if len(found) >= count:
                break
        return found

    def ticks(self, instant: float) -> Iterator[float]:
        """Every tick strictly after ``instant``, in order (endless for cron and intervals)."""
        if self.kind == "interval":
            return self._interval_ticks(instant)
        walls, every_real_hour = self._walls()
        return _walk(walls, self.zone, every_real_hour, instant)

    def _interval_ticks(self, instant: float) -> Iterator[float]:
        step = float(self.expression)
        origin = self.anchor or 0.0
        k = math.floor((instant - origin) / step) + 1
        while True:
            tick = round(origin + k * step, 6)
            if tick > instant:
                yield tick
            k += 1

    def _walls(self) -> tuple[Callable[[dt.datetime], Iterator[dt.datetime]], bool]:
        if self.kind == "cron":
            expression = self.expression
            every_real_hour = expression.split()[1].startswith("*")
            return (lambda start: iter(CronSim(expression, start))), every_real_hour
        start = wall_time(self.anchor if self.anchor is not None else 0.0, self.zone)
        rule = rrulestr(self.expression, dtstart=start)
        fields = dict(part.split("=", 1) for part in self.expression.split(";"))
        every_real_hour = fields["FREQ"] in ("HOURLY", "MINUTELY", "SECONDLY") and "BYHOUR" not in fields
        return (lambda begin: rule.xafter(begin, inc=False)), every_real_hour


def _walk(
    walls: Callable[[dt.datetime], Iterator[dt.datetime]],
    zone: ZoneInfo,
    every_real_hour: bool,
    instant: float,
) -> Iterator[float]:
    """The instants of the wall times ``walls`` yields, in order and once each, strictly after ``instant``.

    Wall times come in wall-clock order, which differs from instant order only
    inside a repeated hour (the second 01:00 comes after the first 01:30). The
    first instant of a wall time never decreases along the walk, so any
    instant up to the current wall time's first one is safe to yield.
    """
    pending: list[float] = []
    last = instant
    for wall in walls(wall_time(instant, zone) - _MARGIN):
        found = instants_of(wall, zone, every_real_hour)
        for tick in found:
            if tick > last:
                heapq.heappush(pending, tick)
        while pending and pending[0] <= found[0]:
            tick = heapq.heappop(pending)
            if tick > last:
                last = tick
                yield tick
    while pending:  # a finite rrule ended
        tick = heapq.heappop(pending)
        if tick > last:
            last = tick
            yield tick
