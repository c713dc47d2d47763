"""What to claim when ticks come due: the catch-up policy, as a pure function.

A tick that came due before this server became the active one (it took the
serve lease at ``takeover``) was missed while no server ran; one that came
due after is the server's own and is always claimed, however late the loop
wakes. Missed ticks follow the schedule's ``catchup``:

* ``"all"``: claim every missed tick (the newest ``max_catchup`` if set);
* ``"latest"``: claim only the newest missed tick;
* ``"none"``: claim none.

Ticks not claimed are skipped: the cursor moves past them in the same
transaction, and the schedule counts them, so they are never claimed later.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

__all__ = ["Plan", "plan"]


@dataclasses.dataclass(frozen=True)
class Plan:
    """The ticks to claim (each with whether it is a catch-up) and how many missed ones are skipped."""

    claims: tuple[tuple[float, bool], ...]
    skipped: int


def plan(due: Sequence[float], takeover: float, catchup: str, max_catchup: int | None) -> Plan:
    """Decide for the ``due`` ticks (in order); see the module docstring."""
    missed = [t for t in due if t <= takeover]
    current = [t for t in due if t > takeover]
    if catchup == "none":
        kept: list[float] = []
    elif catchup == "latest":
        kept = missed[-1:]
    else:
        kept = missed if max_catchup is None else missed[len(missed) - max_catchup :] if max_catchup else []
    claims = tuple((t, True) for t in kept) + tuple((t, False) for t in current)
    return Plan(claims, len(missed) - len(kept))
