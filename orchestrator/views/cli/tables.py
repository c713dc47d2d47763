"""Plain-text tables and times, as every ``daskflow`` listing prints them."""

from __future__ import annotations

import time
from collections.abc import Sequence

__all__ = ["print_table", "when"]


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Left-aligned columns, two spaces apart, as wide as their widest cell."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    for line in (headers, *rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


def when(ts: float, millis: bool = False) -> str:
    """Local time, to the second (or the millisecond)."""
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))
    return f"{text}.{int(ts % 1 * 1000):03d}" if millis else text
