"""``daskflow notifications ls | deliver``: what was sent, what failed and why, and sending what waits.

``ls`` lists notifications newest first with their notifier (its target
shown without secrets), status and attempts; ``--attempts`` adds every
attempt's time, process, status and error. ``deliver`` sends every pending
notification from this process now (retries follow their backoff), for
when no ``daskflow serve`` runs, or only this shell has a notifier's secret.
"""

from __future__ import annotations

import argparse
from typing import Any

from ...history.recorder import open_history_store
from ...history.store import default_store_path
from ...notify.deliverer import Deliverer
from .runs import _clip
from .tables import print_table, when
from .usage import UsageError

__all__ = ["add_parsers"]

_STATUSES = ("pending", "delivered", "failed")


def add_parsers(commands: Any) -> None:
    notifications = commands.add_parser("notifications", help="notifications sent, failed or waiting")
    sub = notifications.add_subparsers(dest="notifications_command", required=True)
    ls = sub.add_parser("ls", help="notifications newest first, with their status and last error")
    ls.add_argument("--run", metavar="RUN_ID", help="only those of this flow run")
    ls.add_argument("--status", help="only pending, delivered or failed ones")
    ls.add_argument("--limit", type=int, default=20, help="how many to show (0 for all; default 20)")
    ls.add_argument("--attempts", action="store_true", help="show every delivery attempt too")
    ls.set_defaults(handler=_ls)
    deliver = sub.add_parser("deliver", help="send every pending notification from this process now")
    deliver.set_defaults(handler=_deliver)


def _ls(args: argparse.Namespace) -> int:
    if args.status is not None and args.status not in _STATUSES:
        raise UsageError(f"unknown status {args.status!r}; use one of {', '.join(_STATUSES)}")
    store = open_history_store()
    rows = store.outbox.recent(run_id=args.run, status=args.status, limit=args.limit)
    if not rows:
        print(f"no notifications recorded in {default_store_path()}")
        return 0
    table = [
        (
            when(n.created),
            n.flow_name,
            n.run_id,
            n.state,
            n.target,
            n.status,
            str(n.attempts),
            _clip(n.last_error or "", 60),
        )
        for n in rows
    ]
    print_table(("CREATED", "FLOW", "RUN", "STATE", "NOTIFIER", "STATUS", "ATTEMPTS", "LAST ERROR"), table)
    if args.attempts:
        for n in rows:
            attempts = store.outbox.attempts(n.notification_id)
            print(f"\n{n.notification_id} ({n.state} of {n.run_id} to {n.target}): {len(attempts)} attempt(s)")
            for a in attempts:
                outcome = "ok" if a.ok else "failed"
                error = f": {a.error}" if a.error else ""
                print(f"  #{a.attempt} {when(a.ts, millis=True)} {outcome} {a.status or '-'} by {a.process}{error}")
    return 0


def _deliver(args: argparse.Namespace) -> int:
    store = open_history_store()
    deliverer = Deliverer(store)
    deliverer.deliver_due(due_only=False)
    deliverer.deliver()
    counts = {status: len(store.outbox.recent(status=status, limit=0)) for status in _STATUSES}
    print(", ".join(f"{counts[s]} {s}" for s in _STATUSES))
    return 0 if not deliverer.deferred else 1
