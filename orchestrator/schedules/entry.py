"""Serving from Python: ``flow.serve(cron=...)`` and ``serve((flow, Schedule(...)), ...)``.

Both build a ``Server`` on the run store at ``$DASKFLOW_HOME`` and run it in
this process until Ctrl-C or SIGTERM: the first stops claiming, lets the
runs going finish and releases the lease; a second Ctrl-C stops at once
(runs cut short are marked Crashed by the next daskflow process, and
claimed ticks not yet run wait for the next server). ``daskflow serve``
(orchestrator.views.cli.serve) is the same from the command line.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import Any

from executors import Executor

from ..authoring.flows import Flow
from ..history.recorder import open_history_store
from .server import DEFAULT_LEASE_TTL, Server
from .specs import Schedule

__all__ = ["run_server", "serve", "serve_flow"]


def serve_flow(flow: Flow[Any, Any], **schedule: Any) -> None:
    """``Flow.serve``: serve one flow; the keywords are ``Schedule``'s, plus ``executor=`` and ``lease_ttl=``."""
    executor = schedule.pop("executor", None)
    lease_ttl = schedule.pop("lease_ttl", DEFAULT_LEASE_TTL)
    serve((flow, Schedule(**schedule)), executor=executor, lease_ttl=lease_ttl)


def serve(
    *entries: tuple[Flow[Any, Any], Schedule],
    executor: Executor | None = None,
    lease_ttl: float = DEFAULT_LEASE_TTL,
    say: Callable[[str], None] = print,
) -> None:
    """Serve several flows' schedules from this process until stopped; see the module docstring."""
    server = Server(
        [(flow, schedule, None) for flow, schedule in entries],
        open_history_store(),
        executor=executor,
        lease_ttl=lease_ttl,
        say=say,
    )
    run_server(server)


def run_server(server: Server) -> None:
    """Run ``server`` until Ctrl-C or SIGTERM, stopping as the module docstring says."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, lambda *_: server.stop()) if in_main else None
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.say("stopping: no more ticks are claimed; Ctrl-C again to stop at once")
        try:
            server.shutdown()
        except KeyboardInterrupt:
            server.say("stopped at once: runs cut short will be marked Crashed, claimed ticks wait for the next server")
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)
