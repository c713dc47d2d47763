"""The ``daskflow`` command (also ``python -m orchestrator``).

Commands: ``run PATH:FLOW`` and ``demo`` (``run.py``), ``runs ls|show|logs``
(``runs.py``), ``bench PATH:FLOW`` (``bench.py``), ``serve PATH:FLOW|FILE.toml``
(``serve.py``), ``schedules ls`` (``schedules.py``), ``notifications ls|deliver``
(``notifications.py``), ``dashboard`` (``dashboard.py``), ``cache ls|clear``
(``cache.py``) and ``concurrency set|ls|rm`` (``concurrency.py``). Exit codes: 0 when the run
completed (or the command worked), 1 when the run failed, 2 on a usage error,
which is one line on stderr.

Each command's module loads only when that command runs: ``daskflow runs ls``
reads the store without importing dask, tornado or the notifiers, which is
what keeps it well under a second.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from ...records.errors import OrchestratorError
from .usage import USAGE_EXIT, UsageError

__all__ = ["SIGPIPE_EXIT", "build_parser", "main"]

#: The exit status of a command whose output pipe closed: 128 + SIGPIPE, as for any Unix tool.
SIGPIPE_EXIT = 141


#: Each command, and the module (in this package) that declares and runs it, in ``--help`` order.
COMMAND_MODULES: dict[str, str] = {
    "run": "run",
    "demo": "run",
    "runs": "runs",
    "bench": "bench",
    "serve": "serve",
    "schedules": "schedules",
    "notifications": "notifications",
    "dashboard": "dashboard",
    "cache": "cache",
    "concurrency": "concurrency",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or, given a known ``command``, of that command's module alone."""
    parser = argparse.ArgumentParser(prog="daskflow", description="Run and inspect daskflow flows.")
    commands = parser.add_subparsers(dest="command", required=True)
    wanted = [COMMAND_MODULES[command]] if command in COMMAND_MODULES else COMMAND_MODULES.values()
    for module in dict.fromkeys(wanted):
        importlib.import_module(f".{module}", __name__).add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    # ``--help``, no command or a mistyped one: every command, so argparse can list them all.
    command = argv[0] if argv else None
    args = build_parser(command).parse_args(argv)  # argparse itself exits 2 on malformed command lines
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
