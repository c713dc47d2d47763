"""The task bodies every runner executes: plain, importable functions.

Raw Dask, daskflow and Prefect all call exactly these, so the difference
between runners is the orchestration around them, never the work. They live
in their own module because worker processes import them by reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = ["aggregate", "combine", "extract", "inc", "load", "noop", "total", "transform"]

#: Keeps sums in the wide DAG small (they would otherwise grow 3x per layer).
_MODULUS = 1_000_003


def noop(i: int) -> int:
    return i


def inc(x: int) -> int:
    return x + 1


def total(values: Sequence[int]) -> int:
    return sum(values)


def combine(*values: int) -> int:
    return sum(values) % _MODULUS


def extract(part: int, floats: int) -> np.ndarray[Any, Any]:
    """One partition of ``floats`` float64 values (8 bytes each), reproducible per partition."""
    import numpy as np

    return np.random.default_rng(part).random(floats)


def transform(data: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A new array of the same size, so a partition is held twice unless the input is released."""
    import numpy as np

    return np.sqrt(data) * 2.0 + 1.0


def aggregate(data: np.ndarray[Any, Any]) -> tuple[float, float, int]:
    return float(data.sum()), float(data.max()), int(data.size)


def load(summaries: Sequence[tuple[float, float, int]]) -> tuple[float, float, int]:
    return (
        round(sum(s[0] for s in summaries), 3),
        max(s[1] for s in summaries),
        sum(s[2] for s in summaries),
    )
