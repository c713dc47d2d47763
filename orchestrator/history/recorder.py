"""The driver's recorder: writes a flow run's history to the run store as it happens.

``record(run, listeners)`` wraps every top-level flow run (the engine's
``observing``). It

* opens the store (``open_history_store``: once per process and path, which
  also marks runs whose driver died Crashed: at once for a driver of this
  host whose process is gone, see ``store.liveness``, after the heartbeat
  grace for the others, see ``reap_stale``) and records the flow run as
  Running, with its parameters and its driver's host, pid and start time (and the run it resumes, if it does);
* adds ``Recorder.on_event`` to the engine's listeners. That runs on Dask's
  event-loop thread, so it only appends the event to a list. Besides task
  states and log batches, the engine tells it each flush's graph and where
  the run runs (``{"kind": "graph"}``, ``{"kind": "run_info"}``), which go to
  the store the same way;
* a background thread takes what piled up, ``LINGER`` seconds after the first
  event of a batch, and has it written as one transaction of task events and
  one of log records (so a 10k-task run costs a few dozen transactions, not
  10k), and heartbeats the flow run every few seconds. The SQL runs in a
  child process (orchestrator.history.store.writer), so it costs the driver's GIL,
  shared with Dask's scheduler or a local executor's tasks, only the pickling;
  if the child cannot be used, the thread writes itself;
* when the run ends, however it ends (a value, ``FlowRunFailed``, an error in
  the body, ``KeyboardInterrupt``), it drains the queue, writes the task runs
  the driver itself decided (Cancelled, Crashed), and the flow run's final
  state, *before* the exception propagates. The store enqueues the run's
  notifications in that same transaction, and this process's deliverer
  (orchestrator.history.deliveries) is told.

The flow run is created with its schedule tick and notify rules. A scheduled
run (``daskflow serve``) that cannot be recorded is not run at all: the store
is what guarantees a tick runs once.

Settings come from the environment when a run starts: ``DASKFLOW_RECORD=0``
turns recording off, ``DASKFLOW_HEARTBEAT_INTERVAL`` and
``DASKFLOW_HEARTBEAT_GRACE`` (seconds) set how often a driver heartbeats and
how long a silent run survives before another process reaps it. A store that
cannot be opened or written is logged as a warning; the flow itself runs on.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Final

from ..records.clock import SYSTEM_CLOCK, Clock
from ..records.runs import FlowRun, TaskRun
from ..records.states import TERMINAL_TYPES, StateType
from .deliveries import outbox_written
from .store import RunStore, StoreError, default_store_path, open_store
from .store.liveness import this_driver
from .store.patience import patiently
from .store.writer import MAX_BATCH, StoreWriter, release_writer, writer_for

__all__ = [
    "Recorder",
    "heartbeat_grace",
    "open_history_store",
    "record",
    "recording_enabled",
]

RECORD_ENV: Final = "DASKFLOW_RECORD"
INTERVAL_ENV: Final = "DASKFLOW_HEARTBEAT_INTERVAL"
GRACE_ENV: Final = "DASKFLOW_HEARTBEAT_GRACE"
DEFAULT_INTERVAL: Final = 5.0
#: Twelve missed heartbeats: long enough for a driver stalled by a busy machine.
DEFAULT_GRACE: Final = 60.0
#: How long the writer thread lets events pile up after the first one: a transaction costs
#: about 0.2 ms whatever its size, so one per event would cost ~2 s of CPU per 10k tasks (the
#: child coalesces what waits in its pipe). Short, because when a run ends its last batch is
#: still to be written before the run returns: 50 ms left a 20k-task local run ~40 ms to wait.
LINGER: Final = 0.01
#: Backstop for the writer thread to drain when a run ends.
_DRAIN_TIMEOUT: Final = 120.0

_log = logging.getLogger("daskflow.recorder")


def recording_enabled() -> bool:
    """False when ``DASKFLOW_RECORD`` is 0, false, no or off."""
    return os.environ.get(RECORD_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def _seconds(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        _log.warning("%s=%r is not a number of seconds; using %g", name, raw, default)
        return default
    return value if value > 0 else default


def heartbeat_interval() -> float:
    return _seconds(INTERVAL_ENV, DEFAULT_INTERVAL)


def heartbeat_grace() -> float:
    return _seconds(GRACE_ENV, DEFAULT_GRACE)


_STORES: dict[str, RunStore] = {}
_STORES_LOCK = threading.Lock()


def open_history_store(path: str | os.PathLike[str] | None = None, now: float | None = None) -> RunStore:
    """The run store at ``path`` (default ``$DASKFLOW_HOME/daskflow.db``), opened once per process.

    The first open in a process reaps runs whose driver died: at once when the
    driver ran on this host and its process is gone (or its pid was reused),
    otherwise once its heartbeat stopped more than the grace ago. So a killed
    driver's run is Crashed by the next ``daskflow`` process. ``now`` replaces
    the clock for those checks, for tests. This process also delivers the
    reaped runs' Crashed notifications.
    """
    target = os.fspath(Path(path).expanduser() if path is not None else default_store_path())
    reaped: list[str] = []
    with _STORES_LOCK:
        store = _STORES.get(target)
        if store is None:
            store = open_store(target)
            now = SYSTEM_CLOCK.now() if now is None else now
            me = this_driver()
            reaped = store.reap_dead_drivers(now, me) if me is not None else []
            reaped += store.reap_stale(now, heartbeat_grace())
            if reaped:
                _log.info("marked %d flow run(s) Crashed whose driver stopped: %s", len(reaped), ", ".join(reaped))
            _STORES[target] = store
    # Their Crashed notifications were enqueued with the state: this process delivers them.
    outbox_written(store, reaped)
    return store


class Recorder:
    """Writes one flow run to a store: see the module docstring."""

    def __init__(
        self,
        store: RunStore,
        run: FlowRun,
        interval: float | None = None,
        clock: Clock = SYSTEM_CLOCK,
        writer_path: str | None = None,
    ) -> None:
        self.store = store
        #: The store file a writer child should write to (None: write in this process).
        self.writer_path = writer_path
        self._writer: StoreWriter | None = None
        #: The child failed at some point, so what it was sent may not all be written.
        self._writer_failed = False
        self.run = run
        self.interval = heartbeat_interval() if interval is None else interval
        self.clock = clock
        # A plain list swapped out whole by the writer: taking a batch costs one lock, not
        # one queue operation per event (each of which competes for the GIL with Dask's loop).
        self._events: list[Mapping[str, Any]] = []
        self._events_lock = threading.Lock()
        self._arrived = threading.Event()
        self._stop_requested = False
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        #: CPU seconds the writer thread used: the event path's cost on the driver (benchmarks read it).
        self.cpu_seconds = 0.0
        #: Keys whose terminal event was written; read only by the writer thread until it stops.
        self._reported: set[str] = set()
        self._child_failures = 0

    def begin(self) -> None:
        """Record the flow run as Running and start the writer thread."""
        run = self.run
        started = self.clock.now()
        scheduled = run.scheduled
        self.store.create_flow_run(
            run.id,
            run.flow_name,
            run.parameters,
            started,
            host=socket.gethostname(),
            pid=os.getpid(),
            schedule_id=scheduled.schedule_id if scheduled is not None else None,
            tick=scheduled.tick if scheduled is not None else None,
            notify=[rule.as_dict() for rule in run.notify_rules],
        )
        if run.resumed_from is not None:
            self.store.results.record_origin(run.id, resumed_from=run.resumed_from)
        driver = this_driver()
        if driver is not None:
            self.store.record_driver(run.id, driver)
        if self.writer_path is not None:
            self._writer = writer_for(self.writer_path)
            if self._writer is not None:
                self._child_failures = self._writer.failures  # a shared child counts for every run
        if run.entrypoint is not None:
            self._set_info({"entrypoint": run.entrypoint})
        self._thread = threading.Thread(
            target=self._loop, args=(started + self.interval,), name=f"daskflow-recorder-{run.id}", daemon=True
        )
        self._thread.start()

    def on_event(self, event: Mapping[str, Any]) -> None:
        """An engine listener: never blocks (it runs on Dask's event loop)."""
        with self._events_lock:
            self._events.append(event)
            first = len(self._events) == 1
        if first:
            self._arrived.set()

    def finish(self, error: BaseException | None = None) -> None:
        """Write everything still queued, the driver-decided task runs and the final flow run state."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        try:
            with self._events_lock:
                self._stop_requested = True
            self._stopping.set()  # cuts the writer's linger short
            self._arrived.set()
            thread.join(_DRAIN_TIMEOUT)
            writer, self._writer = self._writer, None
            if writer is not None:
                # Everything the child was sent is committed before the run's end is written.
                if not writer.sync():
                    self._writer_failed = True
                if writer.failures > self._child_failures:
                    self._problem(
                        f"{writer.failures - self._child_failures} batch(es) of events could not be written "
                        f"to the run store {writer.path} (the reasons are above)"
                    )
                assert self.writer_path is not None
                release_writer(self.writer_path)
        finally:
            # Even if a second Ctrl-C cut the draining short: no run may stay Running.
            self._write_end(error)

    def _write_end(self, error: BaseException | None) -> None:
        if self._writer_failed:
            # The child may have died with events it had read: rewrite every finished task run
            # from the driver's records (upserts keyed by time, so rewriting is harmless).
            _log.warning(
                "flow run %s: the run store writer stopped; writing its task runs from the driver", self.run.id
            )
            self._reported.clear()
        run = self.run
        now = self.clock.now()
        state, message = run.state, run.message
        if state is StateType.RUNNING:
            # The engine never decided: something escaped before or around it.
            interrupted = isinstance(error, KeyboardInterrupt)
            state = StateType.CANCELLED if interrupted else StateType.CRASHED
            message = (
                "interrupted by the user (KeyboardInterrupt)"
                if interrupted
                else (
                    f"the driver stopped the run: {type(error).__name__}: {error}"
                    if error is not None
                    else "the run ended without a final state"
                )
            )
        try:
            records = list(run.task_runs.values())
            reported = self._reported
            decided = [
                _event_of(run.id, tr, now) for tr in records if tr.state in TERMINAL_TYPES and tr.key not in reported
            ]
            for i in range(0, len(decided), MAX_BATCH):
                self._patient(functools.partial(self.store.record_task_events, decided[i : i + MAX_BATCH]))
            if len(decided) + len(reported) < len(records) or self._writer_failed:
                # Some task run never finished here; the store may hold it as Running or Pending.
                leftover = StateType.CANCELLED if state is StateType.CANCELLED else StateType.CRASHED
                note = f"flow run ended {state.value}: {message}"
                self._patient(lambda: self.store.mark_unfinished(run.id, leftover.value, now, note))
            self._patient(lambda: self.store.set_flow_run_state(run.id, state.value, run.end or now, message))
        except StoreError as exc:
            _log.warning("could not record the end of flow run %s: %s", run.id, exc)
            self._problem(f"its end could not be written: {exc}")
        else:
            if run.notify_rules:
                outbox_written(self.store, [run.id])

    # -- the writer thread ------------------------------------------------------

    def _loop(self, next_beat: float) -> None:
        while True:
            if self._arrived.wait(max(next_beat - self.clock.now(), 0.0)):
                self._stopping.wait(LINGER)  # let a batch pile up
            with self._events_lock:
                batch, self._events = self._events, []
                self._arrived.clear()
                stop = self._stop_requested
            for i in range(0, len(batch), MAX_BATCH):
                self._write(batch[i : i + MAX_BATCH])
            now = self.clock.now()
            if now >= next_beat:
                beat = functools.partial(self.store.heartbeat, self.run.id, now)
                self._deliver(("heartbeat", self.run.id, now), beat)
                next_beat = now + self.interval
            if stop:
                break
        self.cpu_seconds = time.thread_time()

    def _write(self, batch: list[Mapping[str, Any]]) -> None:
        states: list[Mapping[str, Any]] = []
        logs: list[Mapping[str, Any]] = []
        reported = self._reported
        run_id = self.run.id
        for event in batch:
            kind = event.get("kind")
            if kind is None:
                states.append(event)
                if event["state"] in _TERMINAL_NAMES:
                    reported.add(event["key"])
            elif kind == "logs":
                logs.extend(event.get("records") or ())
            elif kind == "graph":
                # Before the states that follow it, so a reader never sees a task run without its node.
                self._flush_states(states)
                nodes = event["nodes"]
                self._deliver(("graph", run_id, nodes), functools.partial(self.store.record_graph, run_id, nodes))
            elif kind == "run_info":
                self._set_info(dict(event["info"]))
        self._flush_states(states)
        if logs:
            self._deliver(("logs", logs), lambda: self.store.record_logs(logs))

    def _set_info(self, info: dict[str, Any]) -> None:
        message = ("run_info", self.run.id, info)
        self._deliver(message, functools.partial(self.store.set_flow_run_info, self.run.id, info))

    def _flush_states(self, states: list[Mapping[str, Any]]) -> None:
        """Deliver the task events gathered so far and empty the list."""
        if states:
            batch = list(states)
            states.clear()
            self._deliver(("events", batch), functools.partial(self.store.record_task_events, batch))

    def _deliver(self, message: tuple[Any, ...], write_here: Callable[[], None]) -> None:
        """Hand ``message`` to the writer child, or write it from this thread if there is none."""
        writer = self._writer
        if writer is not None and writer.send(message):
            return
        if writer is not None:
            self._writer_failed = True
        self._guard(write_here)

    def _guard(self, write: Callable[[], None]) -> None:
        try:
            self._patient(write)
        except StoreError as exc:  # the run goes on; its history has a gap, said so here and at the end
            _log.warning("flow run %s: could not write to the run store: %s", self.run.id, exc)
            self._problem(str(exc))

    def _patient(self, write: Callable[[], object]) -> None:
        """``write()``, waiting out a store another process keeps locked (store.patience)."""
        patiently(write, self._waiting)

    def _waiting(self, text: str) -> None:
        _log.warning("flow run %s: %s", self.run.id, text)

    def _problem(self, text: str) -> None:
        problems = self.run.recording_problems
        if text not in problems:
            problems.append(text)


_TERMINAL_NAMES: Final = frozenset(s.value for s in TERMINAL_TYPES)


def _event_of(run_id: str, tr: TaskRun, now: float) -> dict[str, Any]:
    """A task event for a task run whose state the driver set (no worker reported it)."""
    error = tr.error
    return {
        "run": run_id,
        "key": tr.key,
        "task": tr.task,
        "name": tr.name,
        "state": tr.state.value,
        "ts": tr.ts or now,
        "start": tr.start,
        "end": tr.end,
        "attempt": tr.attempt or 1,
        "worker": tr.worker,
        "message": tr.message,
        "error": error.as_dict() if error is not None else None,
    }


# -- wrapping runs ------------------------------------------------------------------

Listener = Callable[[Mapping[str, Any]], None]


@contextlib.contextmanager
def record(run: FlowRun, listeners: list[Listener]) -> Iterator[Recorder | None]:
    """Record ``run`` while the block runs (unless recording is off); see the module docstring.

    The recorder joins ``listeners``, the engine's list of event listeners.
    """
    recorder: Recorder | None = None
    if recording_enabled():
        try:
            path = os.fspath(default_store_path())
            recorder = Recorder(open_history_store(path), run, writer_path=path)
            recorder.begin()
        except StoreError as exc:
            if run.scheduled is not None:
                # A scheduled run unrecorded could run again from its Pending record: never start it.
                raise
            _log.warning("flow run %s is not recorded: %s", run.id, exc)
            run.recording_problems.append(f"it was not recorded at all: {exc}")
            recorder = None
        else:
            listeners.append(recorder.on_event)
    try:
        yield recorder
    except BaseException as exc:
        if recorder is not None:
            recorder.finish(exc)
        raise
    if recorder is not None:
        recorder.finish()
