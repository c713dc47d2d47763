"""``daskflow dashboard``: serve the live web dashboard of ``$DASKFLOW_HOME``'s run store.

The first line printed is the URL with the access token (``--port 0`` picks
a free port, and the URL says which). It binds to 127.0.0.1 unless
``--host`` says otherwise, and warns when it does: anyone who can reach the
port and learns the token can read every run. ``--read-only`` turns off the
actions (cancel, re-run). It serves until Ctrl-C or SIGTERM. The server is
``orchestrator.views.dashboard``.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import signal
import sys
from typing import TYPE_CHECKING, Any

from ...history.store import default_store_path
from .usage import UsageError

if TYPE_CHECKING:
    from ..dashboard.app import Dashboard

__all__ = ["add_parsers"]

DEFAULT_PORT = 8789


def add_parsers(commands: Any) -> None:
    dashboard = commands.add_parser("dashboard", help="serve a live web dashboard of the run store")
    dashboard.add_argument(
        "--host", default="127.0.0.1", help="the address to bind (default 127.0.0.1, this machine only)"
    )
    dashboard.add_argument(
        "--port", default=str(DEFAULT_PORT), help=f"the port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    dashboard.add_argument("--read-only", action="store_true", help="no actions: nothing can be cancelled or re-run")
    dashboard.set_defaults(handler=_dashboard)


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise UsageError(f"bad --port {raw!r}: expected a port number like 8789, or 0 for a free one") from None
    if not 0 <= port <= 65535:
        raise UsageError(f"bad --port {raw!r}: ports go from 0 to 65535")
    return port


def _dashboard(args: argparse.Namespace) -> int:
    # Here, not at the top: tornado is only needed by this command.
    from ..dashboard.app import LOOPBACK, Dashboard

    port = _port(args.port)
    store = default_store_path()
    try:
        dashboard = Dashboard(store, args.host, port, args.read_only)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {args.host} is in use; pass --port 0 for a free one") from None
        raise UsageError(f"cannot listen on {args.host}:{port}: {exc}") from None
    print(dashboard.url, flush=True)
    if args.host not in LOOPBACK:
        print(
            f"daskflow: warning: serving on {args.host}, not 127.0.0.1: anyone who can reach port {dashboard.port} "
            "and has the token can read every run" + ("" if args.read_only else " and cancel or re-run them"),
            file=sys.stderr,
            flush=True,
        )
    mode = " (read-only)" if args.read_only else ""
    print(f"serving the run store {store}{mode}; Ctrl-C stops", flush=True)
    asyncio.run(_serve(dashboard))
    return 0


async def _serve(dashboard: Dashboard) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    dashboard.start()
    await stop.wait()
    await dashboard.close()
