"""Reporting: the text table, the budget lines, the JSON file and the PNG plot.

The table has one row per (shape, size): medians in seconds for raw Dask,
daskflow and Prefect (``-`` where it did not run), the daskflow / raw ratio
and the added cost per task in microseconds, ``(daskflow - raw) / tasks``.
The plot shows that added cost against the task count, one line per shape.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .budget import BudgetLine
    from .harness import Result

__all__ = ["budget_table", "results_table", "write_json", "write_png"]

_HEADERS = (
    "shape",
    "N",
    "tasks",
    "raw Dask median",
    "daskflow median",
    "ratio",
    "unfused ratio",
    "added µs/task",
    "Prefect median",
    "runs",
)


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def results_table(results: Sequence[Result]) -> str:
    rows = []
    for r in results:
        ratio, unfused, added = r.ratio, r.unfused_ratio, r.added_us_per_task
        runs = "/".join(str(len(r.times[k])) for k in r.times)
        rows.append(
            [
                r.shape,
                f"{r.n:,}",
                f"{r.tasks:,}",
                _seconds(r.median("raw")),
                _seconds(r.median("daskflow")),
                "-" if ratio is None else f"{ratio:.3f}",
                "-" if unfused is None else f"{unfused:.3f}",
                "-" if added is None else f"{added:+.1f}",
                _seconds(r.median("prefect")),
                runs,
            ]
        )
    return _table(_HEADERS, rows, right=set(range(1, len(_HEADERS))))


def budget_table(lines: Sequence[BudgetLine]) -> str:
    rows = [[b.measure, b.measured_text, b.budget_text, "PASS" if b.ok else "FAIL", b.detail] for b in lines]
    return _table(("budget line", "measured", "budget", "", "detail"), rows, right={1, 2})


def _meta(argv: Sequence[str]) -> dict[str, Any]:
    import dask
    import distributed

    return {
        "command": " ".join(["python -m benchmarks", *argv]),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "dask": dask.__version__,
        "distributed": distributed.__version__,
    }


def write_json(out: Path, results: Sequence[Result], budget: Sequence[BudgetLine], argv: Sequence[str]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "results.json"
    payload = {
        "meta": _meta(argv),
        "results": [r.as_dict() for r in results],
        "budget": [b.as_dict() for b in budget],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def write_png(out: Path, results: Sequence[Result]) -> Path | None:
    """Added µs per task against the task count, per shape; None without matplotlib or results."""
    points = [r for r in results if r.added_us_per_task is not None]
    if not points:
        return None
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    out.mkdir(parents=True, exist_ok=True)
    path = out / "added_cost_per_task.png"
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for shape in dict.fromkeys(r.shape for r in points):
        series = sorted((r.tasks, r.added_us_per_task) for r in points if r.shape == shape)
        ax.plot([s[0] for s in series], [s[1] for s in series], marker="o", label=shape)
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("tasks in the graph (N)")
    ax.set_ylabel("daskflow - raw Dask, µs per task (median)")
    ax.set_title("daskflow's added cost per task")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
