"""``daskflow concurrency set TAG N | ls | rm TAG``: tag concurrency limits, kept in the run store.

Every flow run loads the limits when it starts, so ``set`` and ``rm`` apply to
runs started afterwards. The slots themselves are held on the cluster, by
the scheduler plugin (executors.slots_plugin): ``ls --address`` (or
``DASKFLOW_ADDRESS``) also lists who holds and who waits for them there.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

from ...history.recorder import open_history_store
from ...history.store import StoreError, default_store_path
from .tables import print_table, when
from .usage import UsageError

__all__ = ["add_parsers"]


def add_parsers(commands: Any) -> None:
    concurrency = commands.add_parser("concurrency", help="tag concurrency limits: set, list, remove")
    sub = concurrency.add_subparsers(dest="concurrency_command", required=True)
    set_ = sub.add_parser("set", help="at most N tasks tagged TAG run at once, in every run started from now on")
    set_.add_argument("tag", metavar="TAG")
    set_.add_argument("slots", metavar="N")
    set_.set_defaults(handler=_set)
    ls = sub.add_parser("ls", help="the limits, and with --address who holds their slots on that cluster")
    ls.add_argument("--address", help="a running Dask scheduler, like tcp://127.0.0.1:8786")
    ls.set_defaults(handler=_ls)
    rm = sub.add_parser("rm", help="remove the limit of TAG")
    rm.add_argument("tag", metavar="TAG")
    rm.set_defaults(handler=_rm)


def _set(args: argparse.Namespace) -> int:
    try:
        slots = int(args.slots)
    except ValueError:
        slots = 0
    if slots < 1 or str(slots) != args.slots.strip():
        raise UsageError(f"bad N {args.slots!r}: the number of slots is a whole number >= 1, like 2")
    try:
        open_history_store().limits.set(args.tag, slots, time.time())
    except StoreError as exc:
        raise UsageError(str(exc)) from None
    print(f"tag {args.tag!r}: at most {slots} task(s) at once, from the next run on")
    return 0


def _rm(args: argparse.Namespace) -> int:
    if not open_history_store().limits.remove(args.tag):
        raise UsageError(f"tag {args.tag!r} has no concurrency limit; see 'daskflow concurrency ls'")
    print(f"tag {args.tag!r}: no limit any more, from the next run on")
    return 0


def _ls(args: argparse.Namespace) -> int:
    limits = open_history_store().limits.rows()
    if limits:
        print_table(("TAG", "SLOTS", "SET"), [(tag, str(slots), when(updated)) for tag, slots, updated in limits])
    else:
        print(f"no concurrency limits in {default_store_path()}; add one with 'daskflow concurrency set TAG N'")
    address = args.address or os.environ.get("DASKFLOW_ADDRESS")
    if not address:
        print("\nslots are held on the cluster: pass --address tcp://HOST:PORT to list their holders")
        return 0
    from executors import DaskExecutor

    snapshot = DaskExecutor(address=address).slot_snapshot()
    if not snapshot:
        print(f"\nno task holds or waits for a slot on {address}")
        return 0
    rows: list[tuple[str, ...]] = []
    for tag, entry in sorted(snapshot.items()):
        for kind, label in (("holders", "holds"), ("waiting", "waits")):
            for info in entry[kind]:
                since = when(float(info.get("since") or 0.0))
                rows.append((tag, label, *(str(info.get(f)) for f in ("run", "name", "attempt", "worker")), since))
    shown = ", ".join(f"{tag} {entry['limit']}" for tag, entry in sorted(snapshot.items()))
    print(f"\nslots on {address} (limits: {shown}):")
    print_table(("TAG", "", "RUN", "TASK", "ATTEMPT", "WORKER", "SINCE"), rows)
    return 0
