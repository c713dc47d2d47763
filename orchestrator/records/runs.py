"""What a flow run is, as the driver sees it: ``FlowRun`` and its ``TaskRun`` records.

Records are built from the state events workers emit, never from task
results: a ``TaskRun`` holds the state, times, attempt, worker and error of
one task run, and stays small (a few hundred bytes) so 100k-task runs fit.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Mapping
from typing import Any

from .display import renderers
from .errors import FlowRunFailed, OrchestratorError
from .notify import NotifyRule
from .states import FAILED_TYPES, TERMINAL_TYPES, ErrorInfo, State, StateType

__all__ = ["FlowRun", "ScheduleTick", "TaskRun"]


class TaskRun:
    """One task run's latest state; updated in place as events arrive."""

    __slots__ = (
        "attempt",
        "end",
        "error",
        "exc",
        "handled",
        "hit",
        "key",
        "length",
        "message",
        "name",
        "start",
        "state",
        "task",
        "ts",
        "worker",
    )

    def __init__(self, key: str, task: str, name: str) -> None:
        self.key = key
        self.task = task
        self.name = name
        self.state = StateType.PENDING
        self.ts: float | None = None
        self.start: float | None = None
        self.end: float | None = None
        self.attempt = 0
        self.worker: str | None = None
        self.message: str | None = None
        self.error: ErrorInfo | None = None
        self.exc: bytes | None = None
        self.handled = False
        self.length: int | None = None
        #: How a Cached task run got its result: "cache" (a cache hit) or "resume" (reused from the resumed run).
        self.hit: str | None = None

    def apply(self, event: Mapping[str, Any]) -> bool:
        """Take a state event unless it is older than what we hold; True if taken."""
        if self.state in TERMINAL_TYPES:
            return False
        self.state = StateType(event["state"])
        self.ts = event["ts"]
        self.start = event.get("start", self.start)
        self.end = event.get("end")
        self.attempt = event.get("attempt", self.attempt)
        self.worker = event.get("worker")
        self.message = event.get("message")
        error = event.get("error")
        self.error = ErrorInfo(**error) if error else None
        self.exc = event.get("exc")
        self.length = event.get("len")
        self.hit = event.get("hit")
        return True

    def mark(self, state: StateType, ts: float, message: str, error: ErrorInfo | None = None) -> None:
        """Set a state the driver decided (Crashed, Cancelled) for a run that reported none."""
        self.state, self.ts, self.end, self.message, self.error = state, ts, ts, message, error

    @property
    def id(self) -> str:
        """The task run's id: its key, unique within the flow run (Prefect's ``task_run.id``)."""
        return self.key

    @property
    def duration(self) -> float | None:
        if self.start is None or self.end is None:
            return None
        return self.end - self.start

    def exception(self) -> BaseException | None:
        """The task's exception, rebuilt on the driver when its class is importable here."""
        if self.exc is not None:
            try:
                exc = pickle.loads(self.exc)
                if isinstance(exc, BaseException):
                    return exc
            except Exception:  # noqa: BLE001 - the class may live only on the workers
                pass
        if self.error is not None:
            return OrchestratorError(f"{self.error.type}: {self.error.message}")
        return None

    def to_state(self) -> State:
        return State(
            self.state,
            message=self.message,
            error=self.error,
            start=self.start,
            end=self.end,
            attempt=self.attempt,
            worker=self.worker,
            key=self.key,
        )

    def __repr__(self) -> str:
        return f"TaskRun({self.name!r}, {self.state.value})"


class ScheduleTick:
    """Marks a flow run as the run of one schedule's tick (``daskflow serve``): stored with the run."""

    __slots__ = ("schedule_id", "tick")

    def __init__(self, schedule_id: str, tick: float) -> None:
        self.schedule_id = schedule_id
        #: The tick's instant, epoch seconds.
        self.tick = tick

    def __repr__(self) -> str:
        return f"ScheduleTick({self.schedule_id!r}, {self.tick!r})"


class FlowRun:
    """A flow run: its id, parameters, final state, return value and every task run."""

    def __init__(self, run_id: str, flow_name: str, parameters: Mapping[str, Any]) -> None:
        self.id = run_id
        self.flow_name = flow_name
        self.parameters = dict(parameters)
        self.state = StateType.RUNNING
        self.start: float | None = None
        self.end: float | None = None
        self.message: str | None = None
        self.task_runs: dict[str, TaskRun] = {}
        self.subflows: list[str] = []
        #: Each task run's upstream keys, for ``visualize()``.
        self.edges: dict[str, tuple[str, ...]] = {}
        self.value: Any = None
        self.executor: str = ""
        #: How to load the flow again, ``PATH:FLOW`` or ``module:flow``; None when it has no file (a notebook).
        self.entrypoint: str | None = None
        #: The exception the flow body itself raised, if it did.
        self.body_error: BaseException | None = None
        #: The flow run this one resumes (``flow.run(resume=...)``), whose persisted results it reuses.
        self.resumed_from: str | None = None
        #: What the run store failed to record of this run (a full disk, say); the run itself went on.
        self.recording_problems: list[str] = []
        #: The schedule tick this run is for (``daskflow serve``), or None for a run started by hand.
        self.scheduled: ScheduleTick | None = None
        #: The flow's notifiers as stored with the run (orchestrator.records.notify).
        self.notify_rules: tuple[NotifyRule, ...] = ()

    @property
    def name(self) -> str:
        """A readable name for this run, ``"<flow>-<id>"`` (Prefect's ``flow_run.name``)."""
        return f"{self.flow_name}-{self.id}"

    @property
    def is_completed(self) -> bool:
        return self.state is StateType.COMPLETED

    @property
    def duration(self) -> float | None:
        return None if self.start is None or self.end is None else self.end - self.start

    def counts(self) -> dict[str, int]:
        """Task runs by state name."""
        return dict(Counter(tr.state.value for tr in self.task_runs.values()))

    def hits(self) -> dict[str, int]:
        """Cached task runs by how they got their result: ``{"cache": n, "resume": m}`` (absent kinds omitted)."""
        return dict(Counter(tr.hit for tr in self.task_runs.values() if tr.hit))

    def unhandled_failures(self) -> list[TaskRun]:
        return [tr for tr in self.task_runs.values() if tr.state in FAILED_TYPES and not tr.handled]

    def record_edges(self, graph: Mapping[str, Any]) -> None:
        """Keep the upstream keys of each node of a compiled graph (``dask.task_spec`` nodes)."""
        self.edges.update((key, tuple(node.dependencies)) for key, node in graph.items())

    def visualize(self) -> Any:
        """This run's graph as SVG (a ``GraphView``), each node coloured by its task run's state."""
        return renderers().run_graph(self)

    def by_name(self, name: str) -> TaskRun:
        """The task run with display name ``name`` (``"transform[3]"`` or a task name)."""
        for tr in self.task_runs.values():
            if tr.name == name:
                return tr
        raise KeyError(f"flow run {self.id} has no task run named {name!r}")

    def error(self) -> FlowRunFailed:
        failures = self.unhandled_failures()
        # A crashed run's own message (the lost scheduler) says more than its task runs' errors.
        explain = not failures or self.state is StateType.CRASHED
        return FlowRunFailed(
            self.flow_name,
            self.id,
            [(tr.name, tr.error, tr.state.value) for tr in failures],
            [exc for tr in failures if (exc := tr.exception()) is not None],
            reason=(self.message or "") if explain else "",
        )

    def result(self) -> Any:
        """The flow's return value, or raise ``FlowRunFailed`` if the run did not complete."""
        if self.state is StateType.COMPLETED:
            return self.value
        if self.body_error is not None:
            raise self.body_error
        raise self.error()

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in sorted(self.counts().items()))
        return f"<FlowRun {self.flow_name!r} {self.id} {self.state.value} ({counts})>"

    def _repr_html_(self) -> str:
        """Jupyter's view: state, task runs and durations, errors with tracebacks (drawn by the views)."""
        return renderers().run_html(self)
