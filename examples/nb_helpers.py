"""Helpers that sit beside ``remote_notebook.ipynb`` and are *not* installed on the workers.

The notebook imports this module; daskflow ships it to the workers by value
because it lives outside site-packages (see the README, "Run from a notebook
against a remote scheduler"). Nothing here knows about daskflow.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Summary:
    """What one sensor's readings come to."""

    sensor: str
    count: int
    mean: float
    spread: float


def fake_series(sensor: str, n: int) -> list[float]:
    """Deterministic readings for a sensor name, so the notebook's output is the same every run."""
    seed = sum(ord(c) for c in sensor)
    return [float((seed * (k + 3)) % 17) for k in range(n)]


def summarise(sensor: str, values: list[float], spread: float) -> Summary:
    return Summary(sensor, len(values), round(sum(values) / len(values), 3), spread)


def render(summaries: list[Summary]) -> str:
    """One line per sensor, sorted by name."""
    return "\n".join(
        f"{s.sensor}: n={s.count} mean={s.mean} spread={s.spread}" for s in sorted(summaries, key=lambda s: s.sensor)
    )
