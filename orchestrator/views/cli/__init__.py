"""The ``daskflow`` command (also ``python -m orchestrator``).

Commands: ``run PATH:FLOW`` and ``demo`` (``run.py``), ``runs ls|show|logs``
(``runs.py``), ``bench PATH:FLOW`` (``bench.py``), ``serve PATH:FLOW|FILE.toml``
(``serve.py``), ``schedules ls`` (``schedules.py``), ``notifications ls|deliver``
(``notifications.py``), ``dashboard`` (``dashboard.py``), ``cache ls|clear``
(``cache.py``) and ``concurrency set|ls|rm`` (``concurrency.py``). Exit codes: 0 when the run
completed (or the command worked), 1 when the run failed, 2 on a usage error,
which is one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ...records.errors import OrchestratorError
from . import bench, cache, concurrency, dashboard, notifications, run, runs, schedules, serve
from .usage import USAGE_EXIT, UsageError

__all__ = ["SIGPIPE_EXIT", "build_parser", "main"]

#: The exit status of a command whose output pipe closed: 128 + SIGPIPE, as for any Unix tool.
SIGPIPE_EXIT = 141


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="daskflow", description="Run and inspect daskflow flows.")
    commands = parser.add_subparsers(dest="command", required=True)
    run.add_parsers(commands)
    runs.add_parsers(commands)
    bench.add_parsers(commands)
    serve.add_parsers(commands)
    schedules.add_parsers(commands)
    notifications.add_parsers(commands)
    dashboard.add_parsers(commands)
    cache.add_parsers(commands)
    concurrency.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # argparse itself exits 2 on malformed command lines
    try:
        return int(args.handler(args))
    except BrokenPipeError:
        return _output_closed()
    except UsageError as exc:
        print(f"daskflow: error: {exc}", file=sys.stderr)
        return USAGE_EXIT
    except OrchestratorError as exc:  # the store could not be read, and the like: not the user's input
        print(f"daskflow: {exc}", file=sys.stderr)
        return 1


def _output_closed() -> int:
    """``daskflow runs show ID | head``: the reader went away. Exit quietly, as a Unix tool killed by SIGPIPE.

    stdout is pointed at /dev/null first, so the interpreter's final flush of the
    broken pipe does not print a second error at exit.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return SIGPIPE_EXIT


if __name__ == "__main__":
    sys.exit(main())
