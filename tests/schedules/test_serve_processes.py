"""Real ``daskflow serve`` processes killed by PID and restarted: no tick runs twice, none is lost.

Each server serves one flow every second of elapsed time. The kills are
SIGKILL at random points (fixed seed), so they land during start-up, between
a claim and its run, and mid-run; the store must still hold exactly the
expected ticks, each with exactly one flow run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.history.store import SQLiteStore
from orchestrator.schedules import scheduled_run_id
from tests.schedules.serving import Servers

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(request: pytest.FixtureRequest, tmp_path: Path, env: dict[str, str]) -> Iterator[Servers]:
    group = Servers(tmp_path, env, request.param)
    try:
        yield group
    finally:
        group.close()


def _read(db: Path) -> tuple[float, float, int, list[tuple[float, str, bool]], dict[float, list[tuple[str, str]]]]:
    """(registered, cursor, skipped, ticks, runs by tick) of the store's one schedule, after reaping dead runs."""
    with SQLiteStore(db) as store:
        store.reap_stale(time.time() + 60.0, 3.0)  # what the next daskflow process would do
        (schedule,) = store.schedules.all()
        ticks = sorted((t.tick, t.run_id, t.catchup) for t in store.schedules.ticks(schedule.schedule_id))
        runs: dict[float, list[tuple[str, str]]] = {}
        for run in store.list_flow_runs(limit=0):
            assert run.schedule_id == schedule.schedule_id and run.tick is not None
            runs.setdefault(run.tick, []).append((run.run_id, run.state))
        for tick, run_id, _ in ticks:
            assert run_id == scheduled_run_id(schedule.schedule_id, tick)
    return schedule.registered, schedule.cursor, schedule.skipped, ticks, runs


@pytest.mark.parametrize("servers", ["all"], indirect=True)
def test_twenty_sigkills_under_catchup_all_leave_every_tick_run_exactly_once(servers: Servers) -> None:
    """Killed 20 times at random points and restarted, serve has claimed every tick once, each with one run."""
    rng = random.Random(13)
    process = servers.start()
    servers.wait_active(process)
    for _ in range(20):
        time.sleep(rng.uniform(0.2, 2.5))
        servers.kill(process)
        time.sleep(rng.uniform(0.0, 2.0))
        process = servers.start()
    servers.wait_active(process)
    servers.wait_drained(process)  # the last server runs the backlog the kills left
    servers.stop(process)
    registered, cursor, skipped, ticks, runs = _read(servers.db)
    expected = [float(t) for t in range(int(registered) + 1, int(cursor) + 1)]
    assert [tick for tick, _, _ in ticks] == expected
    assert sorted(runs) == expected
    assert all(len(found) == 1 for found in runs.values())
    assert skipped == 0
    assert any(catchup for _, _, catchup in ticks)  # some ticks came due while no server ran
    states = [found[0][1] for _, found in sorted(runs.items())]
    assert set(states) <= {"Completed", "Crashed", "Pending"}  # nothing left Running
    # Runs start oldest tick first: what a clean stop leaves claimed but not started (owed to the
    # next server) is the newest tick or two.
    owed = states.count("Pending")
    assert owed <= 2 and "Pending" not in states[: len(states) - owed]


@pytest.mark.parametrize("servers", ["latest"], indirect=True)
def test_after_each_downtime_catchup_latest_runs_exactly_one_missed_tick(servers: Servers) -> None:
    """Three times: kill, stay down ~3 s, restart; each restart runs only the newest missed tick, the rest skipped."""
    process = servers.start()
    servers.wait_active(process)
    for _ in range(3):
        time.sleep(2.5)
        servers.kill(process)
        time.sleep(3.5)
        process = servers.start()
        servers.wait_active(process)
    time.sleep(2.5)
    servers.stop(process)
    registered, cursor, skipped, ticks, runs = _read(servers.db)
    claimed = [tick for tick, _, _ in ticks]
    catchups = [tick for tick, _, catchup in ticks if catchup]
    assert len(catchups) == 3
    for tick in catchups:
        assert tick + 1 in claimed  # the new server's own next tick follows it
        assert tick - 1 not in claimed  # the older missed ticks were skipped
        assert len(runs[tick]) == 1
    assert len(claimed) + skipped == int(cursor) - int(registered)  # every tick claimed or skipped, none both
    assert sorted(runs) == claimed
    assert all(len(found) == 1 for found in runs.values())


@pytest.mark.parametrize("servers", ["all"], indirect=True)
def test_two_servers_on_one_store_give_one_run_per_tick(servers: Servers) -> None:
    """A second serve waits as standby; when the active one is killed it takes over; each tick runs once."""
    first = servers.start()
    servers.wait_active(first)
    second = servers.start()
    time.sleep(3.0)
    servers.kill(first)
    servers.wait_active(second)
    time.sleep(3.0)
    servers.stop(second)
    registered, cursor, _, ticks, runs = _read(servers.db)
    expected = [float(t) for t in range(int(registered) + 1, int(cursor) + 1)]
    assert [tick for tick, _, _ in ticks] == expected
    assert all(len(found) == 1 for found in runs.values())
    with SQLiteStore(servers.db) as store:
        pids = {run.pid for run in store.list_flow_runs(limit=0)}
    assert {first.pid, second.pid} <= pids
