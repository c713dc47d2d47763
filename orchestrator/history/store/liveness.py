"""Whether a Running flow run's driver process still exists: crash detection without waiting.

A driver records who it is with its flow run (``DriverIdentity``): its pid,
its host name, the identity of the process space it runs in (the kernel's
boot id plus the pid namespace, which together say "these pids mean the same
processes as mine") and the process's start time in clock ticks since boot
(field 22 of ``/proc/PID/stat``). A pid alone is not enough: Linux reuses
pids, and a busy machine can give a dead driver's pid to another process
within seconds.

At every store open (``reap_dead_drivers``), each Running run whose driver
shares this process's pid space is checked at once:

* no ``/proc/PID``, or a zombie there: the driver is gone;
* a process whose start time differs: the pid now belongs to someone else.

Either way the run, and its unfinished task runs, are Crashed right away,
with a reason that names the check that fired. Runs of other hosts (or of
another pid namespace on this one: a container) cannot be checked like this;
the heartbeat grace (``SQLiteStore.reap_stale``) still covers them. On a
system without ``/proc`` the identity is None and only the grace applies.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import socket
import sqlite3
from typing import Final

__all__ = ["DriverIdentity", "dead_driver_reason", "process_start_ticks", "reap_dead_drivers", "this_driver"]

_BOOT_ID: Final = "/proc/sys/kernel/random/boot_id"


@dataclasses.dataclass(frozen=True)
class DriverIdentity:
    """Who a flow run's driver is: enough to tell, on its own host, whether it still runs."""

    host: str
    pid: int
    #: The boot id and pid namespace: equal values mean the same pids name the same processes.
    space: str
    #: The process's start, in clock ticks after boot; with ``space``, unique to this process.
    start_ticks: int


def _pid_space() -> str | None:
    try:
        with open(_BOOT_ID) as boot:
            boot_id = boot.read().strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot_id}/{namespace}"


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` after the command name (which may hold spaces); None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            text = stat.read()
    except OSError:
        return None
    return text[text.rfind(")") + 2 :].split()


def process_start_ticks(pid: int) -> int | None:
    """When process ``pid`` started, in clock ticks after boot; None if there is no such process."""
    fields = _stat_fields(pid)
    # After the name: state is field 3, starttime field 22 (proc(5)), so index 0 and 19 here.
    return int(fields[19]) if fields is not None and len(fields) > 19 else None


@functools.lru_cache(maxsize=1)
def _identity_of(pid: int) -> DriverIdentity | None:
    space = _pid_space()
    start = process_start_ticks(pid)
    if space is None or start is None:
        return None
    return DriverIdentity(socket.gethostname(), pid, space, start)


def this_driver() -> DriverIdentity | None:
    """This process's identity, or None where ``/proc`` cannot tell (then only heartbeats count)."""
    return _identity_of(os.getpid())


def dead_driver_reason(host: str, pid: int, start_ticks: int) -> str | None:
    """Why the driver ``pid`` (started at ``start_ticks``) is not running, or None if it is.

    Only meaningful for a driver in this process's pid space (see ``DriverIdentity.space``).
    """
    fields = _stat_fields(pid)
    if fields is None:
        return f"the driver process (pid {pid} on {host}) no longer exists (process check at store open)"
    if fields[0] in ("Z", "X"):
        return f"the driver process (pid {pid} on {host}) has exited (a zombie; process check at store open)"
    if len(fields) > 19 and int(fields[19]) != start_ticks:
        return (
            f"the driver's pid {pid} on {host} now belongs to another process (its start time differs; "
            "process check at store open), so the driver died"
        )
    return None


def reap_dead_drivers(conn: sqlite3.Connection, me: DriverIdentity) -> list[tuple[str, str]]:
    """The Running runs of drivers in ``me``'s pid space that no longer run, each with the reason.

    Read inside the caller's write transaction, which then marks them Crashed.
    """
    rows = conn.execute(
        "SELECT run_id, host, pid, driver_start FROM flow_runs"
        " WHERE state = 'Running' AND driver_space = ? AND pid IS NOT NULL AND driver_start IS NOT NULL"
        " ORDER BY started",
        (me.space,),
    ).fetchall()
    dead = []
    for run_id, host, pid, start in rows:
        reason = dead_driver_reason(host or me.host, int(pid), int(start))
        if reason is not None:
            dead.append((str(run_id), reason))
    return dead
