"""The ``daskflow`` command (also ``python -m orchestrator``).

Commands: ``run PATH:FLOW`` and ``demo`` (``run.py``), ``runs ls|show|logs``
(``runs.py``), ``bench PATH:FLOW`` (``bench.py``), ``cache ls|clear``
(``cache.py``) and ``concurrency set|ls|rm`` (``concurrency.py``). Exit codes: 0 when the run
completed (or the command worked), 1 when the run failed, 2 on a usage error,
which is one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ...records.errors import OrchestratorError
from . import bench, cache, concurrency, run, runs
from .usage import USAGE_EXIT, UsageError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="daskflow", description="Run and inspect daskflow flows.")
    commands = parser.add_subparsers(dest="command", required=True)
    run.add_parsers(commands)
    runs.add_parsers(commands)
    bench.add_parsers(commands)
    cache.add_parsers(commands)
    concurrency.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # argparse itself exits 2 on malformed command lines
    try:
        return int(args.handler(args))
    except UsageError as exc:
        print(f"daskflow: error: {exc}", file=sys.stderr)
        return USAGE_EXIT
    except OrchestratorError as exc:  # the store could not be read, and the like: not the user's input
        print(f"daskflow: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
