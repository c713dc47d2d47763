"""The ``serve`` loop: register schedules, hold the lease, claim due ticks, run them, watch and notify.

``Server(entries, store)`` serves several flows' schedules from one process.
Each ``step()`` (the loop calls it at least once a second, and at each tick):

1. **Lease.** Renew the serve lease, or try to take it while standby
   (orchestrator.schedules.lease). Becoming active notes the moment
   (``takeover``) and queues the runs of ticks claimed earlier that never
   started (their server died between claim and start): a claimed tick is
   always run.
2. **Claim.** For each schedule, the ticks in ``(cursor, now]`` are planned
   (orchestrator.schedules.catchup: missed ticks follow ``catchup``) and
   claimed in one store transaction with the cursor's move, each creating
   its Pending flow run whose id is derived from the schedule and the tick.
3. **Run.** Queued ticks start, oldest first, while the schedule has fewer
   than ``max_active_runs`` runs going. Each is ``Flow.run`` on the flow's
   executor (or the one given), in a thread of this process, as an ordinary
   recorded run marked with its schedule and tick; the store lets it start
   once only, so a tick recovered by two servers still runs once.
4. **Watch.** Every few seconds: reap runs whose driver died (Crashed, and
   notified), enqueue ``Late`` and ``NotCompleted`` notifications. A
   delivery thread sends everything pending in the outbox.

Stopping (``stop()``, Ctrl-C, SIGTERM) claims nothing more, lets the runs
already going finish, and releases the lease; it writes nothing to the
schedules, so they are never paused. Time comes from the injected clock, so
tests drive ``step()`` with a ``FakeClock``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Final

from executors import Executor

from ..authoring.flows import Flow
from ..history.recorder import heartbeat_grace, recording_enabled
from ..history.store import LeaseLost, RunAlreadyStarted, RunStore, ScheduleRow, StoreError, TickClaim
from ..history.store.convert import iso_utc
from ..notify.deliverer import Deliverer
from ..records.clock import SYSTEM_CLOCK, Clock
from ..records.notify import build_rules
from ..records.runs import ScheduleTick
from .catchup import plan
from .lease import ServeLease
from .specs import Schedule, ScheduleError
from .ticks import Cadence

__all__ = ["DEFAULT_LEASE_TTL", "Server", "Served", "scheduled_run_id"]

#: Seconds a killed server's lease keeps a standby on another host waiting.
DEFAULT_LEASE_TTL: Final = 30.0
#: The loop wakes at least this often (lease renewal, finished runs, standby checks).
_POLL: Final = 1.0
#: How often the active server reaps dead drivers' runs and checks Late / NotCompleted.
_WATCH_EVERY: Final = 5.0

_log = logging.getLogger("daskflow.serve")


def scheduled_run_id(schedule_id: str, tick: float) -> str:
    """The flow-run id of ``schedule_id``'s run at ``tick``: the same whichever server claims it."""
    return hashlib.sha256(f"{schedule_id}@{tick:.6f}".encode()).hexdigest()[:12]


@dataclasses.dataclass
class Served:
    """One schedule this server serves: the flow, the schedule, its stored row and its tick function."""

    flow: Flow[Any, Any]
    schedule: Schedule
    source: str | None = None
    row: ScheduleRow | None = None
    cadence: Cadence | None = None
    queue: deque[tuple[str, float]] = dataclasses.field(default_factory=deque)
    active: int = 0

    @property
    def schedule_id(self) -> str:
        return self.schedule.schedule_id(self.flow.name)


class Server:
    """Serves schedules from this process; see the module docstring."""

    def __init__(
        self,
        entries: Sequence[tuple[Flow[Any, Any], Schedule, str | None]],
        store: RunStore,
        *,
        clock: Clock = SYSTEM_CLOCK,
        executor: Executor | None = None,
        lease_ttl: float = DEFAULT_LEASE_TTL,
        say: Callable[[str], None] = print,
    ) -> None:
        if not recording_enabled():
            raise ScheduleError("daskflow serve records every run in the run store; unset DASKFLOW_RECORD=0")
        self.served = [Served(flow, schedule, source) for flow, schedule, source in entries]
        ids = [s.schedule_id for s in self.served]
        if len(set(ids)) != len(ids):
            raise ScheduleError("the same schedule (flow, cadence, zone and parameters) is listed twice")
        self.store = store
        self.clock = clock
        self.executor = executor
        self.say = say
        self.lease = ServeLease(store.schedules, lease_ttl)
        self.stopping = threading.Event()
        #: Set when a run ends or a stop is asked for: the loop wakes early.
        self.wake = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._next_watch = 0.0
        self._standby_said = False
        self._deliverer = Deliverer(store, clock)
        self._registered = False

    # -- setting up -------------------------------------------------------------------

    def register(self) -> None:
        """Record every schedule in the store (known ones keep their cursor and anchor), checking parameters.

        Parameters the flow rejects raise pydantic's ``ValidationError`` before anything is recorded.
        """
        for served in self.served:
            served.flow.parameters.validate((), dict(served.schedule.parameters))
        now = self.clock.now()
        for served in self.served:
            schedule = served.schedule
            row = self.store.schedules.register(
                {
                    "schedule_id": served.schedule_id,
                    "flow_name": served.flow.name,
                    "kind": schedule.kind,
                    "expression": schedule.expression,
                    "timezone": schedule.timezone,
                    # An rrule with no start of its own starts now, once: stored, never recomputed.
                    "anchor": float(int(now))
                    if schedule.anchor is None and schedule.kind == "rrule"
                    else schedule.anchor,
                    "parameters": schedule.parameters,
                    "catchup": schedule.catchup,
                    "max_catchup": schedule.max_catchup,
                    "max_active_runs": schedule.max_active_runs,
                    "source": served.source,
                },
                now,
            )
            served.row = row
            served.cadence = schedule.cadence(row.anchor)
            upcoming = served.cadence.after(max(row.cursor, now))
            when = iso_utc(upcoming) if upcoming is not None else "never (the rrule has ended)"
            self.say(
                f"schedule {row.schedule_id}: {served.flow.name} {schedule.describe()}, catchup {schedule.catchup}; "
                f"next tick {when}"
            )
        self._registered = True

    # -- the loop -----------------------------------------------------------------------

    def serve_forever(self) -> None:
        """Register, then step until ``stop()``; then finish the runs going and release the lease.

        A ``KeyboardInterrupt`` propagates without the shutdown: the caller decides (orchestrator.schedules.entry).
        """
        if not self._registered:
            self.register()
        while not self.stopping.is_set():
            try:
                wait = self.step()
            except StoreError as exc:  # the store is locked or unreachable for now: claims wait, none is lost
                self.say(f"the run store failed ({exc}); retrying in {_POLL:g} s")
                wait = _POLL
            self.wake.wait(max(wait, 0.0))
            self.wake.clear()
        self.shutdown()

    def step(self) -> float:
        """One turn of the loop (see the module docstring); returns seconds until it should run again."""
        now = self.clock.now()
        was_active = self.lease.active_since is not None
        if not self.lease.hold(now):
            self._say_standby()
            return _POLL
        if not was_active:
            self._become_active(now)
        try:
            for served in self.served:
                self._claim(served, now)
        except LeaseLost as exc:
            self.lease.lost()
            self.say(f"standby: {exc}")
            for served in self.served:
                served.queue.clear()
            return _POLL
        self._launch_queued()
        if now >= self._next_watch:
            self._watch(now)
            self._next_watch = now + _WATCH_EVERY
        return self._until_next_tick(self.clock.now())

    def stop(self) -> None:
        """Ask the loop to stop (thread-safe; a signal handler may call it)."""
        self.stopping.set()
        self.wake.set()

    def join_runs(self, timeout: float | None = None) -> bool:
        """Wait for the runs (and the delivery pass) this server started; False if some still go at ``timeout``."""
        with self._lock:
            threads = list(self._threads)
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in threads:
            thread.join(None if deadline is None else max(deadline - time.monotonic(), 0.0))
        return not any(t.is_alive() for t in threads)

    def shutdown(self, timeout: float | None = None) -> None:
        """Wait for the runs going, then release the lease. Claimed runs not started wait for the next server."""
        self.stopping.set()
        with self._lock:
            going = sum(t.is_alive() and t.name != "daskflow-serve-deliver" for t in self._threads)
        if going:
            self.say(f"stopping: waiting for {going} run(s) to finish")
        self.join_runs(timeout)
        if self.lease.active_since is not None:
            try:
                self.lease.release()
            except StoreError as exc:
                _log.warning("could not release the serve lease: %s", exc)
        self._deliverer.deliver_due()

    # -- the parts of a step ---------------------------------------------------------------

    def _say_standby(self) -> None:
        holder = self.lease.holder
        if holder is not None and not self._standby_said:
            self.say(
                f"standby: the serve lease is held by pid {holder.pid} on {holder.host} "
                f"(until {iso_utc(holder.expires)} unless it renews); waiting to take over"
            )
            self._standby_said = True

    def _become_active(self, now: float) -> None:
        self._standby_said = False
        self.say(f"active: pid {self.lease.pid} on {self.lease.host} serves {len(self.served)} schedule(s)")
        by_id = {s.schedule_id: s for s in self.served}
        for run_id, schedule_id, tick in self.store.schedules.pending_runs(list(by_id)):
            by_id[schedule_id].queue.append((run_id, tick))
        for served in self.served:  # the cursor may have moved while we were standby
            stored = self.store.schedules.get(served.schedule_id)
            if stored is not None:
                served.row = stored
        known = {row.schedule_id for row in self.store.schedules.all()} - set(by_id)
        if known:
            self.say(
                f"note: the store has {len(known)} schedule(s) this server does not serve: {', '.join(sorted(known))}"
            )

    def _claim(self, served: Served, now: float) -> None:
        row, cadence = served.row, served.cadence
        assert row is not None and cadence is not None and self.lease.active_since is not None
        due = list(cadence.between(row.cursor, now))
        if not due:
            return
        decided = plan(due, self.lease.active_since, served.schedule.catchup, served.schedule.max_catchup)
        claims = [TickClaim(t, scheduled_run_id(row.schedule_id, t), catchup) for t, catchup in decided.claims]
        options = served.flow.options
        rules = [
            r.as_dict()
            for r in build_rules(options.notify, options.notify_on, options.late_after, options.not_completed_within)
        ]
        new = self.store.schedules.claim_ticks(row, claims, due[-1], decided.skipped, now, self.lease.owner, rules)
        served.row = dataclasses.replace(row, cursor=max(row.cursor, due[-1]), skipped=row.skipped + decided.skipped)
        caught_up = sum(c.catchup for c in new)
        if decided.skipped or caught_up:
            self.say(
                f"catch-up {served.flow.name}: {decided.skipped + caught_up} tick(s) missed while no server ran; "
                f"running {caught_up}, skipping {decided.skipped} (catchup={served.schedule.catchup})"
            )
        served.queue.extend((c.run_id, c.tick) for c in new)

    def _launch_queued(self) -> None:
        for served in self.served:
            while served.queue and served.active < served.schedule.max_active_runs and not self.stopping.is_set():
                run_id, tick = served.queue.popleft()
                with self._lock:
                    served.active += 1
                    self._threads = [t for t in self._threads if t.is_alive()]
                    thread = threading.Thread(
                        target=self._run, args=(served, run_id, tick), name=f"daskflow-serve-{run_id}", daemon=True
                    )
                    self._threads.append(thread)
                thread.start()

    def _run(self, served: Served, run_id: str, tick: float) -> None:
        flow = served.flow
        try:
            run = flow.run(
                executor=self.executor,
                run_id=run_id,
                scheduled=ScheduleTick(served.schedule_id, tick),
                **served.schedule.parameters,
            )
            took = f" in {run.duration:.2f} s" if run.duration is not None else ""
            detail = f": {run.message}" if run.message and not run.is_completed else ""
            self.say(f"tick {iso_utc(tick)} {flow.name}: flow run {run_id} {run.state.value}{took}{detail}")
        except RunAlreadyStarted:
            self.say(f"tick {iso_utc(tick)} {flow.name}: flow run {run_id} already started elsewhere; not run again")
        except Exception as exc:  # noqa: BLE001 - the run could not start (bad parameters, store down): say so
            message = f"the scheduled run could not start: {type(exc).__name__}: {exc}"
            try:
                self.store.schedules.fail_pending(run_id, self.clock.now(), message)
            except StoreError as store_exc:
                _log.warning("flow run %s: %s; and it could not be marked Failed: %s", run_id, message, store_exc)
            self.say(f"tick {iso_utc(tick)} {flow.name}: flow run {run_id} Failed: {message}")
        finally:
            with self._lock:
                served.active -= 1
            self.wake.set()

    def _watch(self, now: float) -> None:
        try:
            reaped = self.store.reap_stale(now, heartbeat_grace())
            if reaped:
                self.say(f"marked {len(reaped)} flow run(s) Crashed whose driver stopped: {', '.join(reaped)}")
            self.store.outbox.enqueue_proactive(now)
        except StoreError as exc:
            _log.warning("serve could not check the store for crashed or late runs: %s", exc)
        self._start_delivery()

    def _start_delivery(self) -> None:
        """Send what the outbox holds in a thread of its own, so a slow endpoint never delays a tick."""
        with self._lock:
            if any(t.name == "daskflow-serve-deliver" and t.is_alive() for t in self._threads):
                return
            thread = threading.Thread(target=self._deliver, name="daskflow-serve-deliver", daemon=True)
            self._threads.append(thread)
        thread.start()

    def _deliver(self) -> None:
        try:
            self._deliverer.deliver_due()
        except StoreError as exc:
            _log.warning("serve could not deliver notifications: %s", exc)

    def _until_next_tick(self, now: float) -> float:
        soonest = _POLL
        for served in self.served:
            if served.row is not None and served.cadence is not None:
                upcoming = served.cadence.after(max(served.row.cursor, now))
                if upcoming is not None:
                    soonest = min(soonest, upcoming - now)
        return soonest
