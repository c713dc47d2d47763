"""``daskflow serve PATH:FLOW --interval 60`` (or ``FILE.toml``): run flows on schedules until stopped.

One flow from the command line (``--cron``, ``--interval`` or ``--rrule``,
with ``--tz``, ``--param``, ``--catchup`` ...), or several from a TOML file
(orchestrator.schedules.config). The server prints one line per event: the
schedules it serves and their next tick, becoming active or standby, each
scheduled run's end, catch-ups. Ctrl-C or SIGTERM stops it cleanly (runs
going finish first; a second Ctrl-C stops at once); schedules are never
paused by a stop.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from typing import Any

from ...history.recorder import open_history_store
from ...records.errors import FlowDefinitionError
from ...schedules import Schedule, ScheduleError, Server
from ...schedules.config import load_schedules
from ...schedules.entry import run_server
from ...schedules.server import DEFAULT_LEASE_TTL
from ...schedules.specs import CATCHUP_POLICIES
from .run import add_flow_arguments, check_params, load_target, make_executor
from .usage import UsageError

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    serve = commands.add_parser(
        "serve", help="run flows on schedules (cron, interval, rrule) until stopped; one active server per store"
    )
    add_flow_arguments(serve)
    serve.description = "PATH:FLOW with one of --cron/--interval/--rrule, or a FILE.toml listing several schedules."
    cadence = serve.add_mutually_exclusive_group()
    cadence.add_argument("--cron", metavar="EXPR", help="a five-field cron expression, like '30 2 * * *'")
    cadence.add_argument("--interval", type=float, metavar="SECONDS", help="every SECONDS of elapsed time")
    cadence.add_argument("--rrule", metavar="RULE", help="an RFC 5545 rule, like 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9'")
    serve.add_argument("--tz", default="UTC", metavar="ZONE", help="the zone cron and rrule walk (default UTC)")
    serve.add_argument("--catchup", choices=CATCHUP_POLICIES, default="all", help="ticks missed while no server ran")
    serve.add_argument("--max-catchup", type=int, metavar="N", help="with --catchup all: at most the newest N")
    serve.add_argument("--max-active-runs", type=int, default=1, metavar="N", help="runs of the schedule at once")
    serve.add_argument("--anchor", metavar="ISO", help="an interval's origin or an rrule's start (a wall time in --tz)")
    serve.add_argument("--lease-ttl", type=float, default=DEFAULT_LEASE_TTL, metavar="SECONDS", help=argparse.SUPPRESS)
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    executor = make_executor(args) if (args.address or args.executor) else None
    if args.target.endswith(".toml"):
        given = (args.cron, args.interval, args.rrule, args.anchor)
        if any(value is not None for value in given) or args.param:
            raise UsageError("with a FILE.toml, put --cron/--interval/--rrule/--param/--anchor in the file")
        try:
            entries = load_schedules(args.target)
        except ScheduleError as exc:
            raise UsageError(str(exc)) from None
        for flow, schedule, _ in entries:
            check_params(flow, dict(schedule.parameters))
    else:
        flow, params = load_target(args)
        if args.cron is None and args.interval is None and args.rrule is None:
            raise UsageError(f"serve {args.target}: pass --cron EXPR, --interval SECONDS or --rrule RULE")
        check_params(flow, params)
        try:
            schedule = Schedule(
                cron=args.cron,
                interval=args.interval,
                rrule=args.rrule,
                timezone=args.tz,
                parameters=params,
                catchup=args.catchup,
                max_catchup=args.max_catchup,
                max_active_runs=args.max_active_runs,
                anchor=dt.datetime.fromisoformat(args.anchor) if args.anchor else None,
            )
        except ValueError as exc:  # ScheduleError, or a malformed --anchor
            raise UsageError(f"serve {args.target}: {exc}") from None
        entries = [(flow, schedule, args.target)]
    try:
        server = Server(entries, open_history_store(), executor=executor, lease_ttl=args.lease_ttl, say=_say)
        server.register()
    except (ScheduleError, FlowDefinitionError) as exc:
        raise UsageError(str(exc)) from None
    run_server(server)
    return 0


def _say(line: str) -> None:
    now = time.time()
    print(f"{time.strftime('%H:%M:%S', time.localtime(now))}.{int(now % 1 * 1000):03d} {line}", flush=True)
