"""Tick times across DST changes: golden tables, each checked against a brute-force minute-by-minute walk.

The brute force is the written policy applied literally, independently of
orchestrator.schedules.ticks: walk every UTC minute of the window; a minute
fires when its wall time matches the cron expression and is that wall time's
first occurrence (or any occurrence, for a wildcard-hour entry), or when it is
the first minute after a gap in which some missing wall time matched.
"""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest

from orchestrator import Schedule

#: (zone, cron, day of the DST change): the local times of every tick in the window WINDOWS gives.
GOLDEN: dict[tuple[str, str, str], list[str]] = {
    ("America/New_York", "30 2 * * *", "2026-03-08"): [
        "2026-03-07T02:30-05:00",
        "2026-03-08T03:00-04:00",
        "2026-03-09T02:30-04:00",
    ],
    ("America/New_York", "0 * * * *", "2026-03-08"): [
        "2026-03-08T00:00-05:00",
        "2026-03-08T01:00-05:00",
        "2026-03-08T03:00-04:00",
        "2026-03-08T04:00-04:00",
        "2026-03-08T05:00-04:00",
    ],
    ("America/New_York", "*/15 * * * *", "2026-03-08"): [
        "2026-03-08T00:45-05:00",
        "2026-03-08T01:00-05:00",
        "2026-03-08T01:15-05:00",
        "2026-03-08T01:30-05:00",
        "2026-03-08T01:45-05:00",
        "2026-03-08T03:00-04:00",
        "2026-03-08T03:15-04:00",
        "2026-03-08T03:30-04:00",
    ],
    ("America/New_York", "30 2 * * *", "2026-11-01"): [
        "2026-10-31T02:30-04:00",
        "2026-11-01T02:30-05:00",
        "2026-11-02T02:30-05:00",
    ],
    ("America/New_York", "0 * * * *", "2026-11-01"): [
        "2026-11-01T00:00-04:00",
        "2026-11-01T01:00-04:00",
        "2026-11-01T01:00-05:00",
        "2026-11-01T02:00-05:00",
        "2026-11-01T03:00-05:00",
        "2026-11-01T04:00-05:00",
        "2026-11-01T05:00-05:00",
    ],
    ("America/New_York", "*/15 * * * *", "2026-11-01"): [
        "2026-11-01T00:45-04:00",
        "2026-11-01T01:00-04:00",
        "2026-11-01T01:15-04:00",
        "2026-11-01T01:30-04:00",
        "2026-11-01T01:45-04:00",
        "2026-11-01T01:00-05:00",
        "2026-11-01T01:15-05:00",
        "2026-11-01T01:30-05:00",
        "2026-11-01T01:45-05:00",
        "2026-11-01T02:00-05:00",
        "2026-11-01T02:15-05:00",
        "2026-11-01T02:30-05:00",
        "2026-11-01T02:45-05:00",
        "2026-11-01T03:00-05:00",
        "2026-11-01T03:15-05:00",
        "2026-11-01T03:30-05:00",
    ],
    ("Europe/Berlin", "30 2 * * *", "2026-03-29"): [
        "2026-03-28T02:30+01:00",
        "2026-03-29T03:00+02:00",
        "2026-03-30T02:30+02:00",
    ],
    ("Europe/Berlin", "0 * * * *", "2026-03-29"): [
        "2026-03-29T00:00+01:00",
        "2026-03-29T01:00+01:00",
        "2026-03-29T03:00+02:00",
        "2026-03-29T04:00+02:00",
        "2026-03-29T05:00+02:00",
    ],
    ("Europe/Berlin", "*/15 * * * *", "2026-03-29"): [
        "2026-03-29T00:45+01:00",
        "2026-03-29T01:00+01:00",
        "2026-03-29T01:15+01:00",
        "2026-03-29T01:30+01:00",
        "2026-03-29T01:45+01:00",
        "2026-03-29T03:00+02:00",
        "2026-03-29T03:15+02:00",
        "2026-03-29T03:30+02:00",
    ],
    ("Europe/Berlin", "30 2 * * *", "2026-10-25"): [
        "2026-10-24T02:30+02:00",
        "2026-10-25T02:30+02:00",
        "2026-10-26T02:30+01:00",
    ],
    ("Europe/Berlin", "0 * * * *", "2026-10-25"): [
        "2026-10-25T00:00+02:00",
        "2026-10-25T01:00+02:00",
        "2026-10-25T02:00+02:00",
        "2026-10-25T02:00+01:00",
        "2026-10-25T03:00+01:00",
        "2026-10-25T04:00+01:00",
        "2026-10-25T05:00+01:00",
    ],
    ("Europe/Berlin", "*/15 * * * *", "2026-10-25"): [
        "2026-10-25T00:45+02:00",
        "2026-10-25T01:00+02:00",
        "2026-10-25T01:15+02:00",
        "2026-10-25T01:30+02:00",
        "2026-10-25T01:45+02:00",
        "2026-10-25T02:00+02:00",
        "2026-10-25T02:15+02:00",
        "2026-10-25T02:30+02:00",
        "2026-10-25T02:45+02:00",
        "2026-10-25T02:00+01:00",
        "2026-10-25T02:15+01:00",
        "2026-10-25T02:30+01:00",
        "2026-10-25T02:45+01:00",
        "2026-10-25T03:00+01:00",
        "2026-10-25T03:15+01:00",
        "2026-10-25T03:30+01:00",
    ],
    ("Australia/Lord_Howe", "30 2 * * *", "2026-04-05"): [
        "2026-04-04T02:30+11:00",
        "2026-04-05T02:30+10:30",
        "2026-04-06T02:30+10:30",
    ],
    ("Australia/Lord_Howe", "0 * * * *", "2026-04-05"): [
        "2026-04-05T00:00+11:00",
        "2026-04-05T01:00+11:00",
        "2026-04-05T02:00+10:30",
        "2026-04-05T03:00+10:30",
        "2026-04-05T04:00+10:30",
        "2026-04-05T05:00+10:30",
    ],
    ("Australia/Lord_Howe", "*/15 * * * *", "2026-04-05"): [
        "2026-04-05T00:45+11:00",
        "2026-04-05T01:00+11:00",
        "2026-04-05T01:15+11:00",
        "2026-04-05T01:30+11:00",
        "2026-04-05T01:45+11:00",
        "2026-04-05T01:30+10:30",
        "2026-04-05T01:45+10:30",
        "2026-04-05T02:00+10:30",
        "2026-04-05T02:15+10:30",
        "2026-04-05T02:30+10:30",
        "2026-04-05T02:45+10:30",
        "2026-04-05T03:00+10:30",
        "2026-04-05T03:15+10:30",
        "2026-04-05T03:30+10:30",
    ],
    ("Australia/Lord_Howe", "30 2 * * *", "2026-10-04"): [
        "2026-10-03T02:30+10:30",
        "2026-10-04T02:30+11:00",
        "2026-10-05T02:30+11:00",
    ],
    ("Australia/Lord_Howe", "0 * * * *", "2026-10-04"): [
        "2026-10-04T00:00+10:30",
        "2026-10-04T01:00+10:30",
        "2026-10-04T02:30+11:00",
        "2026-10-04T03:00+11:00",
        "2026-10-04T04:00+11:00",
        "2026-10-04T05:00+11:00",
    ],
    ("Australia/Lord_Howe", "*/15 * * * *", "2026-10-04"): [
        "2026-10-04T00:45+10:30",
        "2026-10-04T01:00+10:30",
        "2026-10-04T01:15+10:30",
        "2026-10-04T01:30+10:30",
        "2026-10-04T01:45+10:30",
        "2026-10-04T02:30+11:00",
        "2026-10-04T02:45+11:00",
        "2026-10-04T03:00+11:00",
        "2026-10-04T03:15+11:00",
        "2026-10-04T03:30+11:00",
    ],
}

#: The window of each expression, as (day offset, local time) pairs around the day of the change.
WINDOWS = {
    "30 2 * * *": ("-1 00:00", "+1 23:59"),
    "0 * * * *": ("0 00:00", "0 05:00"),
    "*/15 * * * *": ("0 00:45", "0 03:30"),
}


def _local(day: str, where: str, zone: ZoneInfo) -> float:
    offset, clock = where.split()
    date = dt.date.fromisoformat(day) + dt.timedelta(days=int(offset))
    hour, minute = map(int, clock.split(":"))
    return dt.datetime(date.year, date.month, date.day, hour, minute, tzinfo=zone).timestamp()


def _field_matches(field: str, value: int) -> bool:
    if field == "*":
        return True
    if field.startswith("*/"):
        return value % int(field[2:]) == 0
    return value == int(field)


def _matches(cron: str, wall: dt.datetime) -> bool:
    minute, hour = cron.split()[:2]
    return _field_matches(minute, wall.minute) and _field_matches(hour, wall.hour)


def brute_force(cron: str, zone: ZoneInfo, start: float, end: float) -> list[float]:
    """Every instant in [start, end] (whole minutes) that the written policy says fires."""
    every_real_hour = cron.split()[1].startswith("*")
    fired = []
    minute = dt.timedelta(minutes=1)
    for instant in range(int(start), int(end) + 1, 60):
        here = dt.datetime.fromtimestamp(instant, zone)
        wall = here.replace(tzinfo=None)
        previous = dt.datetime.fromtimestamp(instant - 60, zone).replace(tzinfo=None)
        fires = _matches(cron, wall) and (here.fold == 0 or every_real_hour)
        missing = previous + minute
        while missing < wall:  # wall times skipped by a spring-forward gap
            fires = fires or _matches(cron, missing)
            missing += minute
        if fires:
            fired.append(float(instant))
    return fired


@pytest.mark.parametrize(("zone", "cron", "day"), sorted(GOLDEN), ids=lambda v: str(v).replace(" ", "_"))
def test_ticks_across_dst_match_the_golden_table_and_the_brute_force_walk(zone: str, cron: str, day: str) -> None:
    """Cron ticks around a DST change are the golden table's, which the minute-by-minute walk confirms."""
    tz = ZoneInfo(zone)
    start, end = (_local(day, where, tz) for where in WINDOWS[cron])
    ticks = list(Schedule(cron=cron, timezone=zone).cadence().between(start - 1, end))
    golden = [dt.datetime.fromisoformat(text).timestamp() for text in GOLDEN[(zone, cron, day)]]
    assert ticks == golden
    assert brute_force(cron, tz, start, end) == golden


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe"])
@pytest.mark.parametrize(
    "cron", ["30 2 * * *", "0 * * * *", "*/15 * * * *", "30 1 * * *", "*/15 1 * * *", "5 */2 * * *"]
)
def test_ticks_agree_with_the_brute_force_walk_for_two_days_around_every_2026_change(zone: str, cron: str) -> None:
    """Every tick from a day before to a day after each of the zone's 2026 DST changes is the walk's."""
    tz = ZoneInfo(zone)
    cadence = Schedule(cron=cron, timezone=zone).cadence()
    days = sorted({day for (z, _, day) in GOLDEN if z == zone})
    for day in days:
        start, end = _local(day, "-1 00:00", tz), _local(day, "+1 23:59", tz)
        assert list(cadence.between(start - 1, end)) == brute_force(cron, tz, start, end), day


def test_ticks_start_strictly_after_an_instant_inside_a_repeated_hour() -> None:
    """Starting at 01:15 EST (the second 01:15), a fixed 01:30 entry's next tick is the next day, not the past one."""
    tz = ZoneInfo("America/New_York")
    second_115 = dt.datetime(2026, 11, 1, 1, 15, fold=1, tzinfo=tz).timestamp()
    cadence = Schedule(cron="30 1 * * *", timezone="America/New_York").cadence()
    assert cadence.after(second_115) == dt.datetime(2026, 11, 2, 1, 30, tzinfo=tz).timestamp()
    hourly = Schedule(cron="*/15 * * * *", timezone="America/New_York").cadence()
    assert hourly.after(second_115) == dt.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=tz).timestamp()


def test_an_interval_is_elapsed_time_whatever_the_zone() -> None:
    """interval=3600 in New York ticks every 3600 s of real time straight through both changes."""
    start = dt.datetime(2026, 3, 7, tzinfo=dt.timezone.utc).timestamp()
    ticks = list(Schedule(interval=3600, timezone="America/New_York").cadence().between(start, start + 48 * 3600))
    assert len(ticks) == 48
    assert {b - a for a, b in itertools.pairwise(ticks)} == {3600.0}
    assert ticks[0] % 3600 == 0  # anchored at the epoch: whole UTC hours


def test_an_rrule_walks_wall_time_under_the_same_policy_as_cron() -> None:
    """A daily 02:30 rrule in Berlin fires at 03:00 on the spring-forward day and once on the fall-back day."""
    tz = ZoneInfo("Europe/Berlin")
    anchor = dt.datetime(2026, 1, 1, tzinfo=tz).timestamp()
    rule = Schedule(rrule="FREQ=DAILY;BYHOUR=2;BYMINUTE=30", timezone="Europe/Berlin").cadence(anchor)
    cron = Schedule(cron="30 2 * * *", timezone="Europe/Berlin").cadence()
    start = dt.datetime(2026, 3, 27, tzinfo=tz).timestamp()
    end = dt.datetime(2026, 10, 27, tzinfo=tz).timestamp()
    assert list(rule.between(start, end)) == list(cron.between(start, end))
    hourly = Schedule(rrule="FREQ=HOURLY", timezone="Europe/Berlin").cadence(anchor)
    day = dt.datetime(2026, 10, 25, tzinfo=tz).timestamp()
    assert len(list(hourly.between(day - 1, day + 25 * 3600 - 1))) == 25  # the fall-back day has 25 real hours


def test_a_finite_rrule_ends() -> None:
    """An rrule with COUNT=3 gives three ticks and then none."""
    anchor = dt.datetime(2026, 1, 5, 9, tzinfo=dt.timezone.utc).timestamp()
    cadence = Schedule(rrule="FREQ=DAILY;COUNT=3").cadence(anchor)
    assert len(cadence.upcoming(anchor - 1, 10)) == 3
    assert cadence.after(anchor + 3 * 86400) is None
