"""``python -m benchmarks [all|suite|budget]``: run the suite and/or the budget checks.

``suite`` prints the raw Dask / daskflow (/ Prefect) table; ``budget`` prints
each budget line, measured against its limit; ``all`` (the default) runs both,
and the budget reuses the suite's 10k fan-out and ETL timings. Results go to
``--out`` (default ``benchmarks/results/``, git-ignored) as ``results.json``
and ``added_cost_per_task.png``. The exit status is 1 if a budget line fails.

Examples::

    python -m benchmarks                              # everything, default sizes
    python -m benchmarks --quick                      # a few minutes, small sizes
    python -m benchmarks suite --shapes fanout --sizes 1000,10000 --repeat 7
    python -m benchmarks suite --sizes chain=500 --sizes wide=5000
    python -m benchmarks budget --checks local,import
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import budget as budget_mod
from . import report
from .harness import Result, run_suite
from .shapes import SHAPES

_QUICK_SIZES = {"fanout": (100, 1_000), "chain": (200,), "etl": (40,), "wide": (500,)}


def _parse_sizes(specs: list[str]) -> dict[str, tuple[int, ...]]:
    """``1000,10000`` sets fan-out sizes; ``chain=500`` sets another shape's."""
    sizes: dict[str, tuple[int, ...]] = {}
    for spec in specs:
        name, _, numbers = spec.rpartition("=")
        name = name or "fanout"
        if name not in SHAPES:
            raise SystemExit(f"--sizes: unknown shape {name!r} (known: {', '.join(SHAPES)})")
        try:
            sizes[name] = tuple(int(x.replace("_", "")) for x in numbers.split(",") if x)
        except ValueError:
            raise SystemExit(f"--sizes: {spec!r} is not a comma-separated list of whole numbers") from None
    return sizes


def _names(value: str, known: tuple[str, ...] | list[str], what: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise SystemExit(f"{what}: unknown {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", nargs="?", choices=("all", "suite", "budget"), default="all")
    parser.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shapes (default: all)")
    parser.add_argument(
        "--sizes",
        action="append",
        default=[],
        metavar="[SHAPE=]N,N",
        help="sizes; bare numbers are fan-out sizes; repeatable",
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per runner and size (default 5)")
    parser.add_argument(
        "--large-repeat",
        type=int,
        default=1,
        help="runs for graphs of >= 50k tasks, which take minutes each here (default 1)",
    )
    parser.add_argument("--partition-mb", type=float, default=5.0, help="ETL partition size (default 5 MB)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    parser.add_argument(
        "--quick", action="store_true", help="small sizes, 3 repeats, 10k-task RSS probe: a smoke run of everything"
    )
    parser.add_argument(
        "--checks",
        default=",".join(budget_mod.CHECKS),
        help=f"budget checks to run (default: {','.join(budget_mod.CHECKS)})",
    )
    parser.add_argument("--rss-n", type=int, default=100_000, help="fan-out size of the RSS check")
    parser.add_argument(
        "--rss-reference", action="store_true", help="also measure a raw-Dask driver's RSS for the same fan-out"
    )
    parser.add_argument("--no-prefect", action="store_true", help="skip Prefect even if it is installed")
    parser.add_argument(
        "--prefect-max-tasks",
        type=int,
        default=1_000,
        help="run Prefect only on graphs up to this many tasks (it costs ~60 ms per task)",
    )
    parser.add_argument(
        "--prefect-repeat",
        type=int,
        default=3,
        help="timed Prefect runs per size, taken in the first repeats (default 3)",
    )
    parser.add_argument(
        "--worker-saturation",
        type=float,
        default=None,
        help="distributed.scheduler.worker-saturation for the clusters (default: Dask's 1.1)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    logging.getLogger("distributed").setLevel(logging.ERROR)
    # Runs are recorded as users run them (the recorder's cost is part of daskflow's), but into a
    # throw-away run store, not the user's history; worker and probe processes inherit this.
    os.environ["DASKFLOW_HOME"] = tempfile.mkdtemp(prefix="daskflow-bench-home-")
    shapes = _names(args.shapes, list(SHAPES), "--shapes")
    checks = _names(args.checks, budget_mod.CHECKS, "--checks")
    sizes = {name: SHAPES[name].sizes for name in shapes}
    repeat, rss_n, partitions = args.repeat, args.rss_n, SHAPES["etl"].sizes[0]
    if args.quick:
        sizes = {name: _QUICK_SIZES[name] for name in shapes}
        repeat, rss_n = min(repeat, 3), min(rss_n, 10_000)
    sizes.update({k: v for k, v in _parse_sizes(args.sizes).items() if k in shapes})
    if "etl" in sizes:
        partitions = sizes["etl"][-1]
    options: dict[str, Any] = {"partition_mb": args.partition_mb}
    prefect = not args.no_prefect and _prefect_importable()
    if prefect:
        from .prefect_shapes import configure_env

        configure_env()

    results: list[Result] = []
    if args.command in ("all", "suite"):
        print(
            f"suite: {', '.join(f'{k} {list(v)}' for k, v in sizes.items())}; repeat {repeat} "
            f"(graphs >= 50k tasks: {args.large_repeat})",
            flush=True,
        )
        results = run_suite(
            list(sizes.items()),
            repeat,
            args.large_repeat,
            prefect=prefect,
            prefect_max_tasks=args.prefect_max_tasks,
            prefect_repeat=args.prefect_repeat,
            options=options,
            worker_saturation=args.worker_saturation,
            log=_log,
        )
    lines: list[budget_mod.BudgetLine] = []
    if args.command in ("all", "budget"):
        fanout_n = 10_000 if not args.quick else max(sizes.get("fanout", (1_000,)))
        lines = budget_mod.run_budget(
            checks,
            results,
            repeat,
            options,
            rss_n=rss_n,
            rss_reference=args.rss_reference,
            etl_partitions=partitions,
            partition_mb=args.partition_mb,
            fanout_n=fanout_n,
            worker_saturation=args.worker_saturation,
            log=_log,
        )
    if results:
        print("\n" + report.results_table(results))
    if lines:
        print("\n" + report.budget_table(lines))
    written = [report.write_json(args.out, results, lines, argv), report.write_png(args.out, results)]
    print("\nwrote " + ", ".join(str(p) for p in written if p is not None))
    return 0 if all(b.ok for b in lines) else 1


def _log(message: str) -> None:
    print(message, flush=True)


def _prefect_importable() -> bool:
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("prefect", "prefect_dask"))


if __name__ == "__main__":
    sys.exit(main())
