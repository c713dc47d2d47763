"""Crash detection without waiting: a Running run whose local driver process is gone is Crashed at once."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

from orchestrator.history.store import SQLiteStore
from orchestrator.history.store.liveness import DriverIdentity, process_start_ticks, this_driver

T0 = 1_763_700_000.0

pytestmark = pytest.mark.skipif(this_driver() is None, reason="needs Linux /proc to identify processes")


def _me() -> DriverIdentity:
    me = this_driver()
    assert me is not None
    return me


def _dead_pid() -> int:
    """The pid of a process that ran and was reaped, so nothing has it now (until the kernel reuses it)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_this_driver_names_this_process_and_its_start() -> None:
    """this_driver() is this process: its pid, and the start time /proc gives for it."""
    me = _me()
    assert me.pid == os.getpid()
    assert me.start_ticks == process_start_ticks(os.getpid())
    assert me.space.count("/") == 1 and me.space.endswith("]")


def test_a_run_whose_driver_pid_is_gone_is_crashed_at_once_with_the_reason(
    store: SQLiteStore, make_event: Callable[..., dict[str, Any]]
) -> None:
    """A Running run of a dead local driver is Crashed at the next check, naming the process check."""
    me = _me()
    store.create_flow_run("dead", "etl", {}, T0)
    store.record_task_events([make_event("a-1", "Running", T0, run="dead", start=T0)])
    store.record_driver("dead", dataclasses.replace(me, pid=_dead_pid()))

    assert store.reap_dead_drivers(T0 + 1, me) == ["dead"]
    run = store.get_flow_run("dead")
    assert run is not None and run.state == "Crashed" and run.ended == T0 + 1
    assert run.message is not None and "no longer exists (process check at store open)" in run.message
    (task,) = store.list_task_runs("dead")
    assert task.state == "Crashed" and (task.message or "").startswith("flow run crashed: the driver process")


def test_a_reused_pid_is_told_apart_by_its_start_time(store: SQLiteStore) -> None:
    """A pid that now belongs to another process (another start time) counts as a dead driver."""
    me = _me()
    store.create_flow_run("reused", "etl", {}, T0)
    store.record_driver("reused", dataclasses.replace(me, start_ticks=me.start_ticks - 1))

    assert store.reap_dead_drivers(T0 + 1, me) == ["reused"]
    run = store.get_flow_run("reused")
    assert run is not None and run.state == "Crashed"
    assert "now belongs to another process (its start time differs" in (run.message or "")


def test_a_live_driver_and_drivers_of_other_hosts_are_left_running(store: SQLiteStore) -> None:
    """The live driver, a run of another pid space and a run without identity all stay Running."""
    me = _me()
    for run_id in ("alive", "elsewhere", "unknown"):
        store.create_flow_run(run_id, "etl", {}, T0)
    store.record_driver("alive", me)
    store.record_driver("elsewhere", DriverIdentity("other-host", _dead_pid(), "another-boot/pid:[1]", 5))

    assert store.reap_dead_drivers(T0 + 1, me) == []
    assert {r.run_id: r.state for r in store.list_flow_runs()} == {
        "alive": "Running",
        "elsewhere": "Running",
        "unknown": "Running",
    }
    # The heartbeat grace still covers the other host's driver.
    assert sorted(store.reap_stale(T0 + 120, 60.0)) == ["alive", "elsewhere", "unknown"]
    elsewhere = store.get_flow_run("elsewhere")
    assert elsewhere is not None and "driver heartbeat stopped" in (elsewhere.message or "")


def test_finished_runs_are_never_checked(store: SQLiteStore) -> None:
    """A Completed run of a dead driver stays Completed."""
    me = _me()
    store.create_flow_run("done", "etl", {}, T0)
    store.record_driver("done", dataclasses.replace(me, pid=_dead_pid()))
    store.set_flow_run_state("done", "Completed", T0 + 1)
    assert store.reap_dead_drivers(T0 + 2, me) == []
    run = store.get_flow_run("done")
    assert run is not None and run.state == "Completed"
