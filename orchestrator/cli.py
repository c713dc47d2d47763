"""The ``daskflow`` command (also ``python -m orchestrator``).

Exit codes: 0 when the run completed, 1 when it failed, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _examples_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "examples"


def _demo(args: argparse.Namespace) -> int:
    from .loader import load_flow

    path = _examples_dir() / "etl.py"
    if not path.exists():
        print(f"daskflow: the demo needs {path}; install from a source checkout (pip install -e .)", file=sys.stderr)
        return 2
    flow = load_flow(f"{path}:etl")
    started = time.perf_counter()
    run = flow.run()
    elapsed = time.perf_counter() - started
    counts = ", ".join(f"{state} {n}" for state, n in sorted(run.counts().items()))
    print(f"flow run {run.id} of {run.flow_name!r}: {run.state.value} in {elapsed:.2f} s")
    print(f"executor: {run.executor}")
    print(f"task runs: {len(run.task_runs)} ({counts})")
    if run.is_completed:
        print(f"result: {run.value}")
        return 0
    print(f"error: {run.message}", file=sys.stderr)
    return 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="daskflow", description="Run and inspect daskflow flows.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run the ~1,000-task ETL example on the embedded LocalCluster")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
