"""``daskflow schedules ls``: every schedule in the store, its last tick, its next ones, and who serves it."""

from __future__ import annotations

import argparse
import time
from typing import Any
from zoneinfo import ZoneInfo

from ...history.recorder import open_history_store
from ...history.store import default_store_path
from ...schedules.ticks import Cadence
from .tables import print_table, when

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    schedules = commands.add_parser("schedules", help="the schedules daskflow serve runs")
    sub = schedules.add_subparsers(dest="schedules_command", required=True)
    ls = sub.add_parser("ls", help="each schedule with its last tick and its next ones")
    ls.add_argument("--next", type=int, default=3, metavar="N", help="how many next ticks to show (default 3)")
    ls.set_defaults(handler=_ls)


def _ls(args: argparse.Namespace) -> int:
    store = open_history_store()
    rows = store.schedules.all()
    if not rows:
        print(f"no schedules in {default_store_path()}; start one with 'daskflow serve PATH:FLOW --interval 60'")
        return 0
    now = time.time()
    lease = store.schedules.lease()
    if lease is not None and lease.expires >= now:
        print(f"served by pid {lease.pid} on {lease.host}, last heartbeat {now - lease.heartbeat:.0f} s ago")
    else:
        print("no daskflow serve process is active: ticks that come due wait for the next one (see CATCHUP)")
    table = []
    for row in rows:
        cadence = Cadence(row.kind, row.expression, ZoneInfo(row.timezone), row.anchor)
        last = store.schedules.ticks(row.schedule_id, limit=1)
        upcoming = cadence.upcoming(max(row.cursor, now), args.next)
        spec = f"every {float(row.expression):g} s" if row.kind == "interval" else f"{row.kind} {row.expression}"
        table.append(
            (
                row.schedule_id,
                row.flow_name,
                spec if row.kind == "interval" else f"{spec} ({row.timezone})",
                row.catchup,
                f"{when(last[0].tick)} ({last[0].run_id})" if last else "-",
                ", ".join(when(t) for t in upcoming) or "none (ended)",
                str(row.skipped),
            )
        )
    print_table(("SCHEDULE", "FLOW", "SPEC", "CATCHUP", "LAST TICK (RUN)", "NEXT TICKS", "SKIPPED"), table)
    return 0
