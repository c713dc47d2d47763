"""The TOML file of several schedules that ``daskflow serve FILE.toml`` serves from one process.

::

    [defaults]                      # optional: applies to every [[schedule]]
    timezone = "Europe/Berlin"
    catchup = "latest"

    [[schedule]]
    flow = "etl.py:etl"             # PATH:FLOW (relative to this file) or module:flow
    cron = "30 2 * * *"
    parameters = { partitions = 10 }

    [[schedule]]
    flow = "etl.py:etl"
    interval = 3600
    max_active_runs = 2

Each ``[[schedule]]`` takes ``flow`` and the ``Schedule`` fields (``cron``,
``interval``, ``rrule``, ``timezone``, ``parameters``, ``catchup``,
``max_catchup``, ``max_active_runs``, ``anchor``). Errors name the file, the
entry and the key.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

from ..authoring.flows import Flow
from ..authoring.loader import load_flow
from ..records.errors import FlowDefinitionError
from .specs import Schedule, ScheduleError

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

__all__ = ["load_schedules"]

_FIELDS = frozenset(f.name for f in dataclasses.fields(Schedule))


def load_schedules(path: str | Path) -> list[tuple[Flow[Any, Any], Schedule, str]]:
    """Every ``(flow, schedule, source)`` the file lists; ``ScheduleError`` naming what is wrong otherwise."""
    file = Path(path)
    try:
        document = tomllib.loads(file.read_text())
    except OSError as exc:
        raise ScheduleError(f"cannot read the schedules file {file}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{file} is not valid TOML: {exc}") from None
    unknown = set(document) - {"defaults", "schedule"}
    if unknown:
        raise ScheduleError(f"{file}: unknown table(s) {', '.join(sorted(unknown))}; use [defaults] and [[schedule]]")
    defaults = document.get("defaults", {})
    entries = document.get("schedule", [])
    if not isinstance(entries, list) or not entries:
        raise ScheduleError(
            f"{file}: no [[schedule]] entries; each needs flow = 'PATH:FLOW' and a cron, interval or rrule"
        )
    loaded = []
    for number, entry in enumerate(entries, 1):
        where = f"{file}, schedule #{number}"
        fields = {**defaults, **entry}
        target = fields.pop("flow", None)
        if not isinstance(target, str):
            raise ScheduleError(f"{where}: needs flow = 'PATH:FLOW', like flow = 'etl.py:etl'")
        bad = set(fields) - _FIELDS
        if bad:
            raise ScheduleError(
                f"{where}: unknown key(s) {', '.join(sorted(bad))}; the keys are flow, {', '.join(sorted(_FIELDS))}"
            )
        location, _, name = target.rpartition(":")
        if location.endswith(".py") and not Path(location).is_absolute():
            target = f"{file.parent / location}:{name}"
        try:
            flow = load_flow(target)
            schedule = Schedule(**fields)
        except (ScheduleError, FlowDefinitionError) as exc:
            raise ScheduleError(f"{where}: {exc}") from None
        loaded.append((flow, schedule, target))
    return loaded
