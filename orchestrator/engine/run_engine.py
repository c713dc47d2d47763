"""The driver side of a flow run: build lazily, flush in batches, collect states.

Data path (see DESIGN.md, "How one flow run flows"):

* **Build.** The flow body runs here. Each task call becomes a ``TaskFuture``
  in ``_pending``; nothing runs yet.
* **Flush.** When the body returns, when user code needs a value, or when
  ``_pending`` reaches ``flush_bound`` nodes, the pending nodes compile into
  one graph and go to the executor in **one** submission. The executor is
  asked for handles to two kinds of key only: *leaves* of that graph (no
  dependent in it), whose completion means the whole graph finished, and
  nodes that user code still references (checked with weak references after
  the compiler dropped its own links). Dask frees everything else as soon
  as its dependents finish.
* **Tell.** Each flush also tells the listeners its nodes (key, task name,
  display name, upstream keys) in one ``{"kind": "graph"}`` event, and the
  run's start says where it runs (``{"kind": "run_info"}``), so the run store
  holds the graph and the Dask scheduler of every run.
* **Hear.** Every task emits one final state event (the state layer). Dask
  workers send them in batches (executors.events), so an event may arrive up
  to ``events.LINGER`` after its task's handle reports done; whatever reads a
  task run's state after waiting on its handle waits for the event too
  (``_await_reports``). Events update the ``TaskRun`` records and release
  leaf handles, so a 100k-leaf fan-out holds almost nothing. Results never
  travel here just to learn a state.
* **Finish.** When every leaf is done and every task has reported, the run
  is decided. Tasks Dask itself failed (a worker lost too often, the
  scheduler gone) never report: their leaves stay held and come back erred,
  and after a short grace the unreported task runs are marked Crashed with
  that error, except those the cluster proves finished (a worker lost with
  events it had not sent yet: orchestrator.engine.recovery). The return
  value is then gathered, and the run is Failed if any failure was not
  handled downstream. If those failures
  are the lost scheduler connection, the run is Crashed instead, and no value
  is fetched (there is nothing left to fetch it from).
* **Plan.** With ``RunSettings`` (a ``Flow.run``) each task's caching, resume
  and slots are planned at its first flush and ship in its spec; the result
  storage is probed before a persisting task is submitted (engine.task_plans).
* **Stop early.** A ``KeyboardInterrupt`` (an interrupted notebook kernel), the
  flow's timeout or an error in the body ends the run at once: every key the
  run still wants (outstanding leaves and the nodes user code holds) is
  cancelled with its dependents, so nothing of the run stays queued or
  running on the cluster; bodies already running are interrupted in their
  worker (orchestrator.worker.interrupts); unfinished task runs become Cancelled.
  The client stays connected for the next run.

Events arrive on the executor's thread (Dask's event loop, or a local pool
thread); ``_on_event`` only updates small records under a lock and never blocks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from executors import Executor, Handle

from ..records.errors import FlowDefinitionError, ResultStorageUnavailable
from ..records.runs import FlowRun, TaskRun
from ..records.states import SUCCESS_TYPES, TERMINAL_TYPES, ErrorInfo, State, StateType
from ..records.triggers import all_successful
from ..worker import interrupts
from ..worker.run_logs import console_wanted, flow_logging, run_log_level
from ..worker.serialization import RunInfo, TaskSpec
from ..worker.state_layer import error_info
from . import shipping
from .batching import submit_batched
from .builtin_tasks import ITEM
from .context import engine_var
from .failures import failure_of, is_connection_loss, lost_scheduler, replace_unpicklable
from .fusion import compact, fusion_wanted
from .futures import NodeTask, TaskFuture, describe_operation, replace_futures
from .graph import build_template, compile_nodes, topological
from .outcome import FAILURES_FAIL, Outcome
from .recovery import recover_unreported
from .routing import ROUTER
from .run_settings import RunSettings
from .run_value import resolve_returned
from .task_plans import TaskPlanner

__all__ = ["RunEngine", "new_run_id"]

#: Poll period for leaves that Dask failed without an event (lost workers, lost scheduler).
_CRASH_POLL = 0.5
#: How long a done task's state event may take to arrive (workers batch them for
#: events.LINGER s) before the task run counts as unreported, and so Crashed.
_REPORT_GRACE = 10.0
#: The same once Dask failed a handle: the missing events are mostly of tasks that never ran.
_REPORT_GRACE_AFTER_FAILURE = 1.0
#: With at most this many leaves left, the run waits on their handles rather than on their events:
#: it learns of their end as soon as Dask does, and asks for the events a worker still batches.
#: (Waiting on many handles at once costs the client a coroutine per handle each time.)
_WAIT_ON_HANDLES = 32


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


class RunEngine:
    """One flow run on the driver; see the module docstring."""

    flush_bound = 10_000

    def __init__(
        self,
        flow_name: str,
        parameters: Mapping[str, Any],
        executor: Executor | None,
        timeout: float | None = None,
        compile_only: bool = False,
        outcome: Outcome = FAILURES_FAIL,
        log_level: int | None = None,
        console: bool | None = None,
        settings: RunSettings | None = None,
        run_id: str | None = None,
        fuse: bool | None = None,
    ) -> None:
        # A chosen id: a scheduled run's is derived from its schedule and tick (orchestrator.schedules).
        self.run = FlowRun(run_id or new_run_id(), flow_name, parameters)
        self.outcome = outcome
        #: Whether linear chains of calls run as one Dask task each (orchestrator.engine.fusion).
        self.fuse = fusion_wanted(fuse) and not compile_only
        #: Keys fused into another call's Dask task, mapped to that task's key.
        self.fused: dict[str, str] = {}
        #: Whether the driver shows this run's logs on its console (orchestrator.views.console).
        self.console = console_wanted() if console is None else console
        #: What every task of the run shares on the worker; the topic is known once the executor starts.
        self.run_info = RunInfo(
            self.run.id, "", flow_name, run_log_level(log_level), not self.console, self.run.parameters
        )
        #: Caching, persisted results, resume and slots of this run's tasks; None plans nothing.
        self.planner = TaskPlanner(settings, self.run.id) if settings is not None else None
        self.executor = executor
        self.timeout = timeout
        self.compile_only = compile_only
        #: Whether the graph leaves this process, so the user's local code must ship by value
        #: (orchestrator.engine.shipping); registering it for a local run would only cost time.
        self._ships = compile_only or (executor is not None and executor.pickles_graph)
        #: Called with every raw state event (recorders, progress displays); must not block.
        self.listeners: list[Callable[[Mapping[str, Any]], None]] = []
        self.compiled: dict[str, Any] = {}
        self._pending: list[TaskFuture[Any]] = []
        self._counter = itertools.count()
        self._specs: dict[int, tuple[NodeTask, TaskSpec]] = {}
        self._inflight: dict[str, Handle] = {}
        #: Nodes user code held at their flush, and so have handles: cancelled too when the run stops.
        self._held: weakref.WeakSet[TaskFuture[Any]] = weakref.WeakSet()  # futures hash by identity
        #: Set when the last outstanding leaf reports, or any task run reports while ``_awaiting`` > 0.
        self._wake = threading.Event()
        self._awaiting = 0
        self._lock = threading.Lock()
        self._flushing = threading.RLock()
        self._topic = ""
        #: Keys whose trigger or allow_failure arguments let them run after an upstream failed.
        self._lenient: set[str] = set()

    # -- building -------------------------------------------------------------

    def add(
        self,
        task: NodeTask,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
        wait_for: list[TaskFuture[Any]] | None,
        name: str,
    ) -> TaskFuture[Any]:
        template = build_template(args, kwargs, wait_for, ship=self._ships)
        for ref in template.refs:
            if ref._engine is not self:
                message = (
                    f"task {name!r} got a TaskFuture of {ref.name!r} from another flow run; "
                    "pass its value (.result()) instead"
                )
                raise FlowDefinitionError(message)
        key = f"{task.name}-{self.run.id}-{next(self._counter)}"
        future: TaskFuture[Any] = TaskFuture(
            self,
            task,
            key,
            name,
            template.args,
            template.kwargs,
            template.refs,
            frozenset(template.allow) if template.allow else None,
            template.fill,
        )
        with self._flushing:  # a flush in another thread must not take the list mid-append
            self._pending.append(future)
            full = len(self._pending) >= self.flush_bound and not self.compile_only
        if full:
            self.flush()
        return future

    def record_map(self, task: NodeTask, args: tuple[Any, ...], kwargs: dict[str, Any]) -> TaskFuture[Any] | None:
        """A whole ``task.map(...)`` call, if this engine records maps as one op (a Prefect 1 block); else None."""
        return None

    def node_of(self, item: Any) -> TaskFuture[Any] | None:
        """The node ``item`` stands for in ``set_upstream`` / ``set_downstream`` (None: nothing to wait for)."""
        if isinstance(item, TaskFuture):
            return item
        message = (
            "set_upstream/set_downstream in a @flow body take TaskFutures (the calls), "
            f"got {type(item).__name__}; task objects work inside `with Flow(...)`"
        )
        raise FlowDefinitionError(message)

    def operate(self, future: TaskFuture[Any], operation: str, args: tuple[Any, ...]) -> Any:
        """An operation on ``future`` that needs its value (``TaskFuture.__add__``, ``__bool__``...).

        In a flow run the value does not exist yet, and a lazy future must never answer a value
        question wrongly, so this raises; a Prefect 1 block builds a task for it instead. The one
        exception is unpacking the result of a task with ``nout``: one ``item`` node per value.
        """
        nout = future.task.options.nout
        if operation == "__iter__" and nout is not None:
            return iter([self.add(ITEM, (future, i), {}, None, f"{future.name}[{i}]") for i in range(nout)])
        message = (
            f"{describe_operation(operation)} on the TaskFuture of task {future.name!r} needs its value, which "
            "does not exist yet: the task has not run. Call .result() to run it and use the value, "
            f"as in `{future.task.name}(...).result()`"
        )
        raise FlowDefinitionError(message)

    def depend(self, downstream: TaskFuture[Any], upstream: TaskFuture[Any]) -> None:
        """Make the pending call ``downstream`` wait for ``upstream``, without passing its value."""
        if upstream._engine is not downstream._engine:
            message = f"{downstream.name!r} cannot wait for {upstream.name!r}: they belong to different flows or runs"
            raise FlowDefinitionError(message)
        if downstream._refs is None:
            message = (
                f"task {downstream.name!r} was already submitted (a .result() or a large graph flushed it); "
                "set its upstreams right after the call, or pass wait_for= to it"
            )
            raise FlowDefinitionError(message)
        downstream._refs.append(upstream)  # a bare upstream, like wait_for: no argument slot points at it
        # compile_nodes wants dependencies first; an upstream made after its downstream breaks that.
        pending = self._pending
        position = {id(n) for n in pending}
        pending[:] = topological(
            pending, lambda n: [r for r in n._refs or () if id(r) in position], lambda n: repr(n.name)
        )

    @contextlib.contextmanager
    def activate(self) -> Iterator[None]:
        """Make this the current run while the block runs: task calls add nodes, and the run logger logs here."""
        token = engine_var.set(self)
        try:
            with flow_logging(self.run.id, self._emit_to_listeners, self.run_info.log_level):
                yield
        finally:
            engine_var.reset(token)

    def compile_body(self, body: Callable[[], Any]) -> Any:
        """Run ``body`` under this compile-only engine and compile what it built into ``compiled``; its return."""
        assert self.compile_only
        with self.activate():
            returned = body()
        self.flush()
        return returned

    def _emit_to_listeners(self, event: Mapping[str, Any]) -> None:
        for listener in self.listeners:
            listener(event)

    def _spec_for(self, task: NodeTask) -> TaskSpec:
        entry = self._specs.get(id(task))
        if entry is None:
            if self._ships:
                shipping.ship_referenced_modules(task.fn)
            plan = self.planner.plan_for(task) if self.planner is not None else None
            spec = TaskSpec.build(f"{self.run.id}:{len(self._specs)}", task, self.run_info, plan)
            entry = self._specs[id(task)] = (task, spec)
        return entry[1]

    # -- flushing -------------------------------------------------------------

    def flush(self) -> None:
        """Compile every pending node and submit them as one graph.

        Threads of the flow body (a thread pool, an async flow's waits) may ask for
        values at once: one flushes while the others wait, so every node they hold
        has its handle when the lock is theirs.
        """
        with self._flushing:
            self._flush()

    def _flush(self) -> None:
        if not self._pending:
            return
        nodes, self._pending = self._pending, []
        graph, annotations, leaves = compile_nodes(nodes, self._spec_for)
        task_runs = self.run.task_runs
        for node in nodes:
            task_runs[node.key] = TaskRun(node.key, node.task.name, node.name)
            if node._allow or node.task.options.trigger is not all_successful:
                self._lenient.add(node.key)  # running does not prove its upstreams completed (recovery)
        self.run.record_edges(graph)  # for flow_run.visualize(): keys only, no arguments
        if self.listeners:
            # One event per flush, for the run store: totals per task name before tasks report,
            # the dashboard's graph view and critical path.
            shape = [(k, task_runs[k].task, task_runs[k].name, tuple(n.dependencies)) for k, n in graph.items()]
            self._emit_to_listeners({"kind": "graph", "nodes": shape})
        if self.compile_only:
            self.compiled.update(graph)
            return
        assert self.executor is not None
        if self.planner is not None and self.planner.probe_due:
            self.planner.probe(self.executor)  # before anything that persists runs
        apart = {n.key for n in nodes if not n.task.options.fuse}
        alive_refs = [weakref.ref(node) for node in nodes]
        del nodes, node
        # Only nodes user code still holds survive dropping our list; they (and
        # the leaves) are the keys whose results must stay on the cluster.
        alive = [n for ref in alive_refs if (n := ref()) is not None]
        wanted = list(dict.fromkeys([*leaves, *(n.key for n in alive)]))
        if len(wanted) <= _WAIT_ON_HANDLES:
            # Few enough that the driver will wait on each: their workers send their final events at once.
            for key in wanted:
                graph[key].args[0].awaited = True
        unfused = (dict(graph), dict(annotations))
        keep = {n.key for n in alive}
        placed = compact(graph, annotations, keep, apart, self.executor.parallelism, self.fused) if self.fuse else {}
        try:
            by_key = submit_batched(self.executor, graph, wanted, annotations, placed)
        except Exception:
            # The graph did not pickle: fail just the calls that cannot (unfused, so each is
            # found alone), and resubmit.
            graph, annotations = unfused
            if not self.executor.pickles_graph or not replace_unpicklable(graph, self._topic, self.run.id):
                raise
            by_key = submit_batched(self.executor, graph, wanted, annotations, {})
        for n in alive:
            n._handle = by_key[n.key]
            self._held.add(n)
        with self._lock:
            for key in leaves:
                if task_runs[key].state not in TERMINAL_TYPES:
                    self._inflight[key] = by_key[key]

    # -- events ---------------------------------------------------------------

    def _on_event(self, event: Mapping[str, Any]) -> None:
        if "kind" in event:
            # Not a state change (a batch of log records): only the listeners want it.
            self._emit_to_listeners(event)
            return
        if "nocache" in event and self.planner is not None:
            self.planner.note(event)
        with self._lock:
            record = self.run.task_runs.get(event["key"])
            if record is None or not record.apply(event):
                return
            if record.state in TERMINAL_TYPES:
                for key in event.get("handled") or ():
                    upstream = self.run.task_runs.get(key)
                    if upstream is not None:
                        upstream.handled = True
                if (self._inflight.pop(record.key, None) is not None and not self._inflight) or self._awaiting:
                    self._wake.set()
        self._emit_to_listeners(event)

    # -- values for user code -------------------------------------------------

    def _handle_of(self, future: TaskFuture[Any]) -> Handle:
        if future._engine is not self:
            raise FlowDefinitionError(f"the TaskFuture of {future.name!r} belongs to another flow run")
        if self.compile_only:
            message = (
                f"flow {self.run.flow_name!r} needs the value of task {future.name!r} while compiling; "
                "compile() only works for flows whose graph does not depend on task values"
            )
            raise FlowDefinitionError(message)
        if future._handle is None:
            self.flush()
        assert future._handle is not None
        return future._handle

    def value_of(self, future: TaskFuture[Any], timeout: float | None) -> Any:
        state = self._handle_of(future).result(timeout)
        return state.result() if isinstance(state, State) else state

    def wait_for_future(self, future: TaskFuture[Any], timeout: float | None) -> bool:
        assert self.executor is not None
        return self.executor.wait([self._handle_of(future)], timeout)

    def wait_many(self, futures: list[TaskFuture[Any]], timeout: float | None) -> list[bool]:
        """Run what is pending, wait until all of ``futures`` finished or ``timeout`` passed; which are done."""
        assert self.executor is not None
        handles = [self._handle_of(f) for f in futures]
        self.executor.wait(handles, timeout)
        return [h.done() for h in handles]

    def length_of(self, future: TaskFuture[Any]) -> int | None:
        """The length of a future's list/tuple result, from its state event (None if unknown)."""
        self.wait_for_future(future, None)
        self._await_reports([future.key], failed=failure_of(self._handle_of(future)) is not None)
        record = self.run.task_runs.get(future.key)
        if record is not None and record.state in SUCCESS_TYPES:
            return record.length
        future.result()  # raises the upstream's error
        return None

    def state_of(self, future: TaskFuture[Any]) -> State:
        handle = future._handle
        if handle is not None and handle.done():
            self._await_reports([future.key], failed=failure_of(handle) is not None)
        record = self.run.task_runs.get(future.key)
        return record.to_state() if record is not None else State(StateType.PENDING, key=future.key)

    # -- the whole run --------------------------------------------------------

    def execute(self, body: Callable[[], Any]) -> FlowRun:
        """Run ``body`` as this flow run's body and return the finished ``FlowRun``."""
        run = self.run
        executor = self.executor
        assert executor is not None
        executor.start()
        shipping.refresh()
        run.executor = executor.describe()
        # Where the run runs, for the run store (the dashboard links to the Dask dashboard).
        info = {
            "executor": run.executor,
            "scheduler": executor.scheduler_address,
            "dashboard": executor.dashboard_link,
            "external_scheduler": executor.external_scheduler,
        }
        self._emit_to_listeners({"kind": "run_info", "info": info})
        run.start = time.time()
        deadline = None if self.timeout is None else run.start + self.timeout
        self._topic = executor.event_topic
        self.run_info = dataclasses.replace(self.run_info, topic=self._topic)
        ROUTER.attach(executor, self._topic, run.id, self._on_event)
        try:
            if self.planner is not None:
                self.planner.start(executor)
            with self.activate():
                returned = body()
            self.flush()
            if not self._wait_all(deadline):
                self._stop(StateType.TIMED_OUT, f"flow run exceeded its timeout of {self.timeout:g} s")
            else:
                self._mark_unreported()
                lost = run.state is StateType.CRASHED
                run.value = replace_futures(returned, {}) if lost else self._resolve(returned)
                self._decide(returned)
        except KeyboardInterrupt:
            self._stop(StateType.CANCELLED, "interrupted by the user (KeyboardInterrupt)")
            raise
        except ResultStorageUnavailable as exc:
            self._stop(StateType.FAILED, str(exc))
            run.body_error = exc
        except BaseException as exc:  # noqa: BLE001 - the body's error ends the run Failed and is kept
            if is_connection_loss(exc) or (isinstance(exc, (ConnectionError, OSError)) and not executor.connected):
                # A value the body waited for was lost with the scheduler: infrastructure, not user code.
                # (A ConnectionError alone may be the task's or the body's own.)
                self._stop(StateType.CRASHED, lost_scheduler(exc), leftover=StateType.CRASHED)
            else:
                self._stop(StateType.FAILED, f"the flow body raised {type(exc).__name__}: {exc}")
                run.body_error = exc
        finally:
            ROUTER.detach(executor, self._topic, run.id)
            run.end = time.time()
        if self.planner is not None:
            self.planner.warn_uncached()
        return run

    def _wait_all(self, deadline: float | None) -> bool:
        """Wait until every leaf is done and every task run has reported; False on timeout.

        A leaf Dask itself failed (a worker lost too often, the scheduler gone)
        is done without an event; the task runs that never reported are then
        only waited for briefly, since most of them never ran.
        """
        while True:
            self._wake.clear()
            with self._lock:
                outstanding = list(self._inflight.values())
            if not outstanding or all(h.done() for h in outstanding):
                break
            # Only a few held while waiting: the handles of leaves that reported go as their events come.
            few = outstanding if len(outstanding) <= _WAIT_ON_HANDLES else None
            del outstanding
            wait = _CRASH_POLL if deadline is None else min(_CRASH_POLL, deadline - time.time())
            if wait <= 0:
                return False
            if few is not None and self.executor is not None:
                self.executor.wait(few, timeout=wait)
            else:
                self._wake.wait(wait)
            del few
        failed = any(failure_of(h) is not None for h in outstanding)
        complete = self._await_reports(list(self.run.task_runs), failed=failed, deadline=deadline)
        return complete or deadline is None or time.time() < deadline

    def _await_reports(self, keys: list[str], failed: bool, deadline: float | None = None) -> bool:
        """Wait for the final events of ``keys``, whose tasks are done: workers send them in batches.

        They arrive within ``events.LINGER`` of the task's end, sooner since the
        workers are asked to send what they hold at once, so the grace only
        runs out when the worker that ran a task was lost before sending, or
        (``failed``) when Dask ended a handle without running its task at all.
        """
        grace = _REPORT_GRACE_AFTER_FAILURE if failed else _REPORT_GRACE
        end = time.time() + grace if deadline is None else min(deadline, time.time() + grace)
        task_runs = self.run.task_runs
        missing = [k for k in keys if (tr := task_runs.get(k)) is not None and tr.state not in TERMINAL_TYPES]
        if not missing:
            return True
        if self.executor is not None:
            # Their tasks are done: a worker holding them in a batch need not wait out its LINGER.
            self.executor.flush_events()
        with self._lock:
            self._awaiting += 1
        try:
            while True:
                self._wake.clear()
                missing = [k for k in missing if task_runs[k].state not in TERMINAL_TYPES]
                wait = end - time.time()
                if not missing or wait <= 0:
                    return not missing
                self._wake.wait(min(wait, _CRASH_POLL))
        finally:
            with self._lock:
                self._awaiting -= 1

    def _mark_unreported(self) -> None:
        """Task runs Dask failed without running the state layer become Crashed, with Dask's error."""
        crash: BaseException | None = None
        for handle in list(self._inflight.values()):
            crash = crash or failure_of(handle)
        self._inflight.clear()
        unreported = [tr for tr in self.run.task_runs.values() if tr.state not in TERMINAL_TYPES]
        if unreported and self.executor is not None and not (crash is not None and is_connection_loss(crash)):
            # A worker lost with events it had not sent: recover what the cluster proves finished.
            recover_unreported(self.run, self.executor, self._lenient, self._on_event)
            unreported = [tr for tr in unreported if tr.state not in TERMINAL_TYPES]
        if not unreported:
            return
        detail = f"{type(crash).__name__}: {crash}" if crash is not None else "no state was reported"
        info = error_info(crash) if crash is not None else None
        self._mark_unfinished(unreported, StateType.CRASHED, f"the task's worker or scheduler failed ({detail})", info)
        if crash is not None and is_connection_loss(crash):
            self.run.state = StateType.CRASHED
            self.run.message = lost_scheduler(crash)

    def _resolve(self, returned: Any) -> Any:
        assert self.executor is not None
        return resolve_returned(returned, self.executor, self.run.task_runs, self._handle_of)

    def _decide(self, returned: Any) -> None:
        run = self.run
        if run.state is StateType.RUNNING:
            run.state, run.message = self.outcome.decide(run, returned)

    def mark_handled(self, key: str) -> None:
        """The failure of task run ``key`` reached user code (it raised in the body): it no longer fails the run."""
        record = self.run.task_runs.get(key)
        if record is not None:
            record.handled = True

    def _stop(self, state: StateType, message: str, leftover: StateType = StateType.CANCELLED) -> None:
        """End the run early: cancel and interrupt what it still runs, and mark the rest ``leftover``."""
        run = self.run
        self._pending.clear()
        with self._lock:
            handles = list(self._inflight.values())
            self._inflight.clear()
        unfinished = [r for r in list(run.task_runs.values()) if r.state not in TERMINAL_TYPES]
        if self.executor is not None and unfinished and leftover is StateType.CANCELLED:
            # Leaves, and the nodes user code holds (a notebook keeps the interrupted frame alive):
            # once none of them is wanted, Dask releases every key of the run.
            handles.extend(f._handle for f in list(self._held) if f._handle is not None)
            wanted = [h for h in handles if not h.done()]
            with contextlib.suppress(Exception):  # the connection may be what failed
                self.executor.cancel(wanted)
            with contextlib.suppress(Exception):
                self.executor.run_everywhere(interrupts.interrupt_run, run.id)
        verb = "cancelled" if leftover is StateType.CANCELLED else "crashed"
        self._mark_unfinished(unfinished, leftover, f"{verb}: {message}")
        run.state, run.message = state, message

    def _mark_unfinished(
        self, records: list[TaskRun], state: StateType, message: str, info: ErrorInfo | None = None
    ) -> None:
        """Mark each of ``records`` that has not ended meanwhile ``state``."""
        now = time.time()
        with self._lock:  # late events are applied under it, on the executor's thread
            for record in records:
                if record.state not in TERMINAL_TYPES:
                    record.mark(state, now, message, info)
