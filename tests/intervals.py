"""How many of a set of time intervals overlap at most: the measure of a concurrency limit in tests."""

from __future__ import annotations

from collections.abc import Iterable


def max_overlap(intervals: Iterable[tuple[float, float]]) -> int:
    """The most intervals open at one instant; one ending exactly when another starts does not overlap it."""
    edges = sorted([(start, 1) for start, _ in intervals] + [(end, -1) for _, end in intervals])
    open_now = most = 0
    for _, step in edges:  # at equal times -1 sorts first: an end before a start
        open_now += step
        most = max(most, open_now)
    return most
