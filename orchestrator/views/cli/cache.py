"""``daskflow cache ls | clear``: the persisted task results the run store knows of, and removing them.

``ls`` lists them newest first (``--task`` for one task name). ``clear``
removes results and their store records: all of them, those of one task
(``--task NAME``), and/or those written more than a duration ago
(``--older-than 7d``; units s, m, h, d, w, or plain seconds). It also sweeps
the storage roots it knows (the default ``$DASKFLOW_HOME/results`` and every
root a recorded result lives under) for result files that match but were
never recorded, such as those of a run whose driver was killed before its
events were written, so a cleared result is never hit again.
"""

from __future__ import annotations

import argparse
import re
import time
from typing import Any, Final

from ...history.recorder import open_history_store
from ...history.store import CacheEntryRow, default_store_path
from ...records.options import storage_url
from ...worker.results import delete_result, read_header, scan_results
from .tables import print_table, when
from .usage import UsageError

__all__ = ["add_parsers", "parse_duration"]

_UNITS: Final = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION: Final = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$")


def add_parsers(commands: Any) -> None:
    cache = commands.add_parser("cache", help="list or clear persisted task results (the cache)")
    sub = cache.add_subparsers(dest="cache_command", required=True)
    ls = sub.add_parser("ls", help="persisted results, newest first")
    ls.add_argument("--task", help="only results of this task name")
    ls.set_defaults(handler=_ls)
    clear = sub.add_parser("clear", help="remove persisted results and their records")
    clear.add_argument("--task", help="only results of this task name")
    clear.add_argument("--older-than", metavar="DURATION", help="only results written longer ago, like 30m or 7d")
    clear.set_defaults(handler=_clear)


def parse_duration(text: str) -> float:
    """Seconds in ``90``, ``30s``, ``15m``, ``2h``, ``7d`` or ``1w``; ``UsageError`` otherwise."""
    match = _DURATION.match(text)
    if match is None:
        raise UsageError(f"bad duration {text!r}: expected a number with an optional unit s, m, h, d or w, like 7d")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _ls(args: argparse.Namespace) -> int:
    entries = open_history_store().results.entries(task=args.task)
    if not entries:
        which = f" of task {args.task!r}" if args.task else ""
        print(f"no persisted results{which} recorded in {default_store_path()}")
        return 0
    now = time.time()
    rows = [
        (e.cache_key[:12], e.task, _size(e.size), when(e.created), _expiry(e.expires, now), e.run_id, e.location)
        for e in entries
    ]
    print_table(("KEY", "TASK", "SIZE", "CREATED", "EXPIRES", "RUN", "LOCATION"), rows)
    total = sum(e.size for e in entries)
    print(f"\n{len(entries)} result(s), {_size(total)}")
    return 0


def _clear(args: argparse.Namespace) -> int:
    cutoff = time.time() - parse_duration(args.older_than) if args.older_than else None
    store = open_history_store()
    known = store.results.entries()
    chosen = [e for e in known if _matches(e.task, e.created, args.task, cutoff)]
    removed = {e.location for e in chosen if delete_result(e.location)}
    # Files no record lists (a killed driver's last results) are swept from every root we know.
    for root in sorted({_default_root(), *(_root_of(e) for e in known)}):
        for location in scan_results(root):
            if location in removed:
                continue
            header = read_header(location)
            matches = header is not None and _matches(str(header.get("task")), header.get("created"), args.task, cutoff)
            if matches and delete_result(location):
                removed.add(location)
    forgotten = store.results.delete_entries([e.cache_key for e in chosen])
    print(f"cleared {forgotten} recorded result(s); removed {len(removed)} result file(s)")
    return 0


def _matches(task: str, created: Any, wanted: str | None, cutoff: float | None) -> bool:
    if wanted is not None and task != wanted:
        return False
    return cutoff is None or (isinstance(created, (int, float)) and created < cutoff)


def _default_root() -> str:
    return storage_url(default_store_path().parent / "results", "the default result storage")


def _root_of(entry: CacheEntryRow) -> str:
    """The storage root a result lives under: its location without ``/<key[:2]>/<key>.result``."""
    return entry.location.rsplit("/", 2)[0]


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024:
            return f"{value:.0f} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _expiry(expires: float | None, now: float) -> str:
    if expires is None:
        return "never"
    return f"expired {when(expires)}" if expires <= now else when(expires)
