"""Is a PID still the process we think it is? Checks for the dashboard's adverts and its cancel action.

A PID outlives its process: once a process exits, the number can be handed
to a new one. Both users here know when the process they mean was already
running (a dashboard's advert was written by it; a flow run's driver started
before the run), so a live PID counts only if that process started no later
than that. The start time comes from Linux's ``/proc/PID/stat`` (field 22,
clock ticks after boot, plus ``btime`` from ``/proc/stat``); where there is
no ``/proc``, a live PID is taken at its word.

``handles_sigint`` reads the signal masks of ``/proc/PID/status``: a Python
process started with SIGINT ignored (``nohup``, or ``&`` in a script) keeps
ignoring it and never raises ``KeyboardInterrupt``.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Final

__all__ = ["handles_sigint", "is_alive", "process_start_time", "same_process"]

#: Slack for the clock-tick rounding of /proc start times and clocks read a moment apart.
_SLACK: Final = 1.0


def is_alive(pid: int) -> bool:
    """Whether a process with this PID exists (ours or anyone's)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists; it is another user's
    return True


def process_start_time(pid: int) -> float | None:
    """When the process started, in epoch seconds, from ``/proc``; None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = next(
            float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines() if line.startswith("btime")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after its end.
    fields = stat[stat.rfind(")") + 2 :].split()
    try:
        ticks = int(fields[19])  # field 22 overall
    except (IndexError, ValueError):
        return None
    return boot + ticks / os.sysconf("SC_CLK_TCK")


def same_process(pid: int, running_since: float) -> bool:
    """Whether ``pid`` is alive and was already running at ``running_since`` (epoch seconds)."""
    if not is_alive(pid):
        return False
    started = process_start_time(pid)
    return started is None or started <= running_since + _SLACK


def handles_sigint(pid: int) -> bool | None:
    """Whether the process has a handler for SIGINT (Python's KeyboardInterrupt); None if unknown."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("SigCgt:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    return None
