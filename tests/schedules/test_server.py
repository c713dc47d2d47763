"""The serve loop on an injected clock: claiming, catch-up, the lease, max_active_runs and Late notices.

Each test drives ``Server.step()`` with a ``FakeClock`` over a real SQLite
store; the scheduled runs are real flow runs on a LocalExecutor, in the
server's threads, recorded like any other.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executors import LocalExecutor
from orchestrator import Hook, Notification, Schedule, flow
from orchestrator.history.recorder import open_history_store
from orchestrator.history.store import RunStore
from orchestrator.notify import wait_for_deliveries
from orchestrator.records.clock import FakeClock
from orchestrator.schedules import Server, scheduled_run_id

#: A whole minute, so interval ticks (anchored at the epoch) fall at known offsets from it; in the
#: past, so the runs' real heartbeats never look stale to the fake-clocked reaper.
START = 1_700_000_040.0
RUN_BACKSTOP = 60.0


@flow(executor=LocalExecutor())
def tiny(label: str = "x") -> str:
    return label


GATE = threading.Event()
NOTICES: list[Notification] = []


def _notice(notification: Notification) -> None:
    NOTICES.append(notification)


@flow(executor=LocalExecutor(), notify=[Hook(_notice)], late_after=5)
def gated() -> None:
    assert GATE.wait(RUN_BACKSTOP)


@pytest.fixture
def store(home: Path) -> RunStore:
    """The store of this test's DASKFLOW_HOME: where the server's runs are recorded too."""
    return open_history_store()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START + 0.5)


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    GATE.clear()
    NOTICES.clear()
    yield
    GATE.set()


def _server(store: RunStore, clock: FakeClock, schedule: Schedule, fn: Any = tiny) -> Server:
    server = Server([(fn, schedule, None)], store, clock=clock, lease_ttl=30.0, say=lambda line: None)
    server.register()
    return server


def _step(server: Server) -> None:
    """One step, then as many as it takes (at the same moment) to run what it queued, one run at a time."""
    server.step()
    assert server.join_runs(RUN_BACKSTOP)
    while any(served.queue for served in server.served):
        server.step()
        assert server.join_runs(RUN_BACKSTOP)


def _states_once_running(store: RunStore, tick: float) -> dict[float | None, str]:
    """The state of each run by tick, once the run of ``tick`` (started in a thread of its own) is Running."""
    deadline = time.monotonic() + RUN_BACKSTOP
    while True:
        states = {r.tick: r.state for r in store.list_flow_runs(limit=0)}
        if states.get(tick) != "Pending" or time.monotonic() > deadline:
            return states
        time.sleep(0.01)


def _ticks(store: RunStore, server: Server) -> list[tuple[float, bool]]:
    (served,) = server.served
    return sorted((t.tick, t.catchup) for t in store.schedules.ticks(served.schedule_id))


def test_each_due_tick_is_claimed_once_and_run_once_with_a_derived_id(store: RunStore, clock: FakeClock) -> None:
    """Ticks in (cursor, now] are claimed once; each becomes one Completed run whose id comes from schedule and tick."""
    server = _server(store, clock, Schedule(interval=10))
    _step(server)
    assert _ticks(store, server) == []  # nothing is due at registration
    clock.advance(10)
    _step(server)
    _step(server)  # the same moment again claims nothing more
    clock.advance(25)
    _step(server)
    schedule_id = server.served[0].schedule_id
    assert _ticks(store, server) == [(START + 10, False), (START + 20, False), (START + 30, False)]
    for tick, _ in _ticks(store, server):
        run = store.get_flow_run(scheduled_run_id(schedule_id, tick))
        assert run is not None and (run.state, run.schedule_id, run.tick) == ("Completed", schedule_id, tick)
    assert len(store.list_flow_runs(limit=0)) == 3


@pytest.mark.parametrize(
    ("catchup", "expected"),
    [
        ("all", [(START + t, True) for t in (20, 30, 40, 50, 60)]),
        ("latest", [(START + 60, True)]),
        ("none", []),
    ],
)
def test_ticks_missed_while_no_server_ran_follow_catchup(
    store: RunStore, clock: FakeClock, catchup: str, expected: list[tuple[float, bool]]
) -> None:
    """After a server dies, its successor claims all, the latest or none of the missed ticks, and every later one."""
    schedule = Schedule(interval=10, catchup=catchup)
    first = _server(store, clock, schedule)
    _step(first)  # active from the start
    clock.advance(10)
    _step(first)  # tick +10 runs; then the server dies without releasing its lease
    clock.advance(55)  # ticks +20 .. +60 come due while no server runs, and the lease expires
    second = _server(store, clock, schedule)
    _step(second)
    clock.advance(10)
    _step(second)
    assert _ticks(store, second) == [(START + 10, False), *expected, (START + 70, False)]
    row = store.schedules.get(second.served[0].schedule_id)
    assert row is not None and row.skipped == 5 - len(expected)


def test_max_catchup_keeps_the_newest_missed_ticks(store: RunStore, clock: FakeClock) -> None:
    """catchup='all' with max_catchup=2 runs the two newest missed ticks and skips the rest."""
    schedule = Schedule(interval=10, max_catchup=2)
    _server(store, clock, schedule)
    clock.advance(65)
    second = _server(store, clock, schedule)
    _step(second)
    assert _ticks(store, second) == [(START + 50, True), (START + 60, True)]


def test_a_second_server_waits_as_standby_until_the_lease_expires(store: RunStore, clock: FakeClock) -> None:
    """While the active server renews its lease the standby claims nothing; once it stops, the standby takes over."""
    schedule = Schedule(interval=10)
    active, standby = _server(store, clock, schedule), _server(store, clock, schedule)
    for _ in range(4):
        clock.advance(10)
        _step(active)
        _step(standby)
        assert standby.lease.active_since is None
    assert [t for t, _ in _ticks(store, active)] == [START + 10 * k for k in range(1, 5)]
    clock.advance(31)  # the active server stopped renewing: its lease expires
    _step(standby)
    assert standby.lease.active_since == clock.now()
    ticks = _ticks(store, standby)
    assert [t for t, _ in ticks] == [START + 10 * k for k in range(1, 8)]  # no tick twice, none missed
    assert len(store.list_flow_runs(limit=0)) == 7


def test_a_released_lease_is_taken_at_once(store: RunStore, clock: FakeClock) -> None:
    """A server that stops cleanly releases the lease: the standby becomes active on its next step."""
    schedule = Schedule(interval=10)
    active, standby = _server(store, clock, schedule), _server(store, clock, schedule)
    _step(active)
    _step(standby)
    assert standby.lease.active_since is None
    active.shutdown()
    _step(standby)
    assert standby.lease.active_since is not None


def test_max_active_runs_queues_ticks_as_pending_runs_and_late_ones_notify(store: RunStore, clock: FakeClock) -> None:
    """With one run going, later ticks wait as Pending runs; those waiting late_after past their tick send Late."""
    server = _server(store, clock, Schedule(interval=10, max_active_runs=1), gated)
    server.step()
    clock.advance(30)
    server.step()  # claims +10, +20, +30; starts +10 only (it waits on GATE)
    schedule_id = server.served[0].schedule_id
    states = _states_once_running(store, START + 10)
    assert states == {START + 10: "Running", START + 20: "Pending", START + 30: "Pending"}
    clock.advance(6)
    server.step()  # the Late check: +20 and +30 are still Pending more than late_after (5 s) past their tick
    late = {n.run_id: n.message for n in store.outbox.recent() if n.state == "Late"}
    for tick in (START + 20, START + 30):
        assert "has not started 5 s after its tick" in (late[scheduled_run_id(schedule_id, tick)] or "")
    GATE.set()
    while any(r.state != "Completed" for r in store.list_flow_runs(limit=0)):
        assert server.join_runs(RUN_BACKSTOP)
        server.step()
    server.shutdown(RUN_BACKSTOP)
    assert wait_for_deliveries(RUN_BACKSTOP)
    # +10 is Late too: it started (on the real clock) long after its (fake-clock) tick. One message per run.
    assert sorted((n.state, n.tick) for n in NOTICES) == [("Late", START + t) for t in (10, 20, 30)]


def test_an_rrule_start_is_stored_once_and_never_recomputed(store: RunStore, clock: FakeClock) -> None:
    """An rrule without DTSTART starts when first registered; registering it again later keeps that start."""
    schedule = Schedule(rrule="FREQ=MINUTELY;INTERVAL=7")
    first = _server(store, clock, schedule)
    clock.advance(3600)
    again = _server(store, clock, schedule)
    assert first.served[0].schedule_id == again.served[0].schedule_id
    stored = store.schedules.get(again.served[0].schedule_id)
    assert stored is not None and stored.anchor == int(START + 0.5)
    assert again.served[0].cadence == first.served[0].cadence


def test_serving_a_flow_with_bad_parameters_fails_before_anything_is_claimed(store: RunStore, clock: FakeClock) -> None:
    """Parameters the flow rejects stop the server at registration, with pydantic's error."""
    server = Server([(tiny, Schedule(interval=10, parameters={"nope": 1}), None)], store, clock=clock)
    with pytest.raises(ValueError, match="nope"):
        server.register()
    assert store.schedules.all() == []
