"""``get_run_logger()``: logging inside tasks and flows, recorded in the run store.

Where a record goes depends on where it is logged:

* **In a task** (on a worker, or in the driver for local executors) the state
  layer puts a ``TaskLogs`` in a context variable around each call. Records
  are batched into one ``{"kind": "logs"}`` event on the task's own
  ``executors.events`` sink, the same path as its state events, so a remote
  worker's logs reach the driver's recorder with no extra round trip. The
  first record of a task goes at once (so a task that logs and then blocks is
  visible live); later ones wait for 50 records or 0.5 s, and whatever is left
  goes when the call ends, ahead of the task's final state event.
* **In a flow body** (always on the driver) each record goes straight to the
  run's listeners, the recorder among them: the engine sets that target with
  ``flow_logging`` around the body.

Records also propagate to the standard ``daskflow.task_runs`` /
``daskflow.flow_runs`` loggers, so ``logging.basicConfig`` shows them too.

Turning ``print()`` into records (``log_prints``) is orchestrator.worker.prints.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, Protocol, TypeVar

from executors import events

from ..records.errors import FlowDefinitionError, OrchestratorError
from ..records.options import level_number
from . import interrupts
from .serialization import RunInfo
from .watchdog import RUNNING_WATCH

__all__ = [
    "CONSOLE_ENV",
    "LEVEL_ENV",
    "NoRunContext",
    "RunLogger",
    "TaskLogs",
    "flow_logging",
    "get_run_logger",
    "console_wanted",
    "current_task_run",
    "in_task_context",
    "run_log_level",
]

R = TypeVar("R")

#: The run loggers' level (a name or number), unless the flow sets ``log_level``.
LEVEL_ENV = "DASKFLOW_LOGGING_LEVEL"
#: ``0`` stops the driver from showing run logs on its console (orchestrator.views.console).
CONSOLE_ENV = "DASKFLOW_LOGGING_CONSOLE"
TASK_LOGGER = "daskflow.task_runs"
FLOW_LOGGER = "daskflow.flow_runs"
#: Records per log event, and how long later records may wait before they are sent.
BATCH_RECORDS = 50
BATCH_SECONDS = 0.5


def run_log_level(option: int | None = None) -> int:
    """A run's log level: the flow's ``log_level``, else ``DASKFLOW_LOGGING_LEVEL``, else INFO."""
    if option is not None:
        return option
    raw = os.environ.get(LEVEL_ENV, "").strip()
    if not raw:
        return logging.INFO
    try:
        return level_number(int(raw) if raw.isdigit() else raw, LEVEL_ENV)
    except FlowDefinitionError as exc:
        logging.getLogger("daskflow").warning("%s; using INFO", exc)
        return logging.INFO


def console_wanted() -> bool:
    """Whether the driver shows run logs on its console: yes unless ``DASKFLOW_LOGGING_CONSOLE`` is 0/false/no/off."""
    return os.environ.get(CONSOLE_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


class NoRunContext(OrchestratorError, RuntimeError):
    """Raised by ``get_run_logger()`` outside any task or flow run.

    Call it inside a ``@task`` or ``@flow`` function; elsewhere use ``logging.getLogger``.
    """


class _Target(Protocol):
    level: int

    def add(self, level: str, ts: float, message: str) -> None: ...


class TaskLogs:
    """One task call's run context: who it is (run, key, names, attempt) and its log records,
    batched into events on the task's sink. Records below ``level`` are dropped here."""

    __slots__ = ("_buffer", "_last", "_lock", "attempt", "flow_name", "key", "level", "name", "parameters", "run_id",
                 "sink", "task")  # fmt: skip

    def __init__(
        self,
        run_id: str,
        key: str,
        name: str,
        sink: events.Sink,
        level: int = logging.INFO,
        task: str = "",
        flow_name: str = "",
        attempt: int = 1,
        parameters: Mapping[str, Any] | None = None,
    ) -> None:
        self.run_id, self.key, self.name, self.sink = run_id, key, name, sink
        self.level, self.task, self.flow_name, self.attempt = level, task or name, flow_name, attempt
        self.parameters: Mapping[str, Any] = parameters or {}
        self._buffer: list[dict[str, Any]] = []
        self._last: float | None = None  # when the last batch went: None, so the first record goes at once
        self._lock = threading.Lock()

    def add(self, level: str, ts: float, message: str) -> None:
        record = {"run": self.run_id, "key": self.key, "name": self.name, "level": level, "ts": ts, "message": message}
        with self._lock:
            self._buffer.append(record)
            last = self._last
            if last is None or len(self._buffer) >= BATCH_RECORDS or ts - last >= BATCH_SECONDS:
                self._send(ts)

    def flush(self) -> None:
        with self._lock:
            if self._buffer:
                self._send(time.time())

    def _send(self, now: float) -> None:
        records, self._buffer = self._buffer, []
        self._last = now
        # Emitted under the lock so batches of one task leave in order.
        self.sink.emit({"run": self.run_id, "kind": "logs", "records": records})


class _FlowLogs:
    """Flow-body records: already on the driver, so straight to the run's listeners."""

    __slots__ = ("emit", "level", "run_id")

    def __init__(self, run_id: str, emit: Callable[[Mapping[str, Any]], None], level: int = logging.INFO) -> None:
        self.run_id, self.emit, self.level = run_id, emit, level

    def add(self, level: str, ts: float, message: str) -> None:
        record = {"run": self.run_id, "key": None, "name": None, "level": level, "ts": ts, "message": message}
        self.emit({"run": self.run_id, "kind": "logs", "records": [record]})


_TASK_TARGET: contextvars.ContextVar[TaskLogs | None] = contextvars.ContextVar("daskflow_task_logs", default=None)
_FLOW_TARGET: contextvars.ContextVar[_FlowLogs | None] = contextvars.ContextVar("daskflow_flow_logs", default=None)


def current_task_run() -> TaskLogs | None:
    """The task call running in this context (its run, key, names, attempt), or None outside a task."""
    return _TASK_TARGET.get()


@contextlib.contextmanager
def flow_logging(run_id: str, emit: Callable[[Mapping[str, Any]], None], level: int = logging.INFO) -> Iterator[None]:
    """Inside the block, ``get_run_logger()`` outside any task logs to flow run ``run_id`` through ``emit``."""
    token = _FLOW_TARGET.set(_FlowLogs(run_id, emit, level))
    try:
        yield
    finally:
        _FLOW_TARGET.reset(token)


def in_task_context(
    fn: Callable[..., R], run: RunInfo, key: str, task: str, name: str, sink: events.Sink
) -> Callable[..., R]:
    """Wrap a task's function so each call logs to this task run, reports Running if it lasts,
    and can be interrupted when its run is cancelled (orchestrator.interrupts).

    The state layer calls the wrapper once per attempt (in the helper thread
    when the task has a timeout; that thread gets a copy of the context).
    Calls outside a flow run (no ``run_id``) only get the logger.
    """
    attempts = [0]
    run_id = run.run_id

    # No functools.wraps: it costs every task call a few microseconds, and nothing reads
    # the wrapper's name (it lives for one call, inside the state layer).
    def call(*args: Any, **kwargs: Any) -> R:
        attempts[0] += 1
        if run_id:
            interrupts.begin(run_id)  # raises at once if the run was cancelled meanwhile
        disarmed = not run_id
        try:
            logs = TaskLogs(run_id, key, name, sink, run.log_level, task, run.flow_name, attempts[0], run.parameters)
            token = _TASK_TARGET.set(logs)
            if run_id:
                RUNNING_WATCH.begin(key, task, name, run_id, sink, attempts[0])
            try:
                return fn(*args, **kwargs)
            finally:
                if not disarmed:
                    # First: a cancelled run's interrupt lands in the body, never in this bookkeeping.
                    interrupts.end()
                    disarmed = True
                if run_id:
                    RUNNING_WATCH.end(key)
                _TASK_TARGET.reset(token)
                logs.flush()
        finally:
            if not disarmed:  # interrupted before the body started
                interrupts.end()

    return call


class _StoreHandler(logging.Handler):
    """Hands records of the run loggers to the task or flow run they were logged in."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(message)s"))  # adds the traceback of .exception()

    def emit(self, record: logging.LogRecord) -> None:
        target: _Target | None = record.__dict__.get("daskflow_target") or _TASK_TARGET.get()
        if target is None or record.levelno < target.level:
            return
        try:
            target.add(record.levelname, record.created, self.format(record))
        except Exception:  # noqa: BLE001 - logging must never break the task
            self.handleError(record)


_SETUP_LOCK = threading.Lock()
_SET_UP: list[bool] = []


def _setup() -> None:
    """Attach the store handler once per process, on first use (never at import)."""
    if _SET_UP:
        return
    with _SETUP_LOCK:
        if _SET_UP:
            return
        handler = _StoreHandler()
        for name in (TASK_LOGGER, FLOW_LOGGER):
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET:
                # Otherwise the root's WARNING would drop INFO before our handler sees it. Each run's
                # own level (RunLogger.isEnabledFor, the targets) decides what is kept.
                logger.setLevel(logging.DEBUG)
            logger.addHandler(handler)
        _SET_UP.append(True)


class RunLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """A logger bound to one task or flow run; records keep that binding from any thread.

    Records below the run's level are dropped before they are made, so a DEBUG
    line costs nothing in an INFO run.
    """

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging's name
        target: _Target | None = (self.extra or {}).get("daskflow_target")  # type: ignore[assignment]
        return (target is None or level >= target.level) and self.logger.isEnabledFor(level)

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        kwargs["extra"] = {**(kwargs.get("extra") or {}), **(self.extra or {})}
        return msg, kwargs


def get_run_logger() -> RunLogger:
    """The logger of the current task or flow run; its records go to the run store.

    Raises ``NoRunContext`` outside any task or flow.
    """
    _setup()
    task_logs = _TASK_TARGET.get()
    if task_logs is not None:
        return RunLogger(logging.getLogger(TASK_LOGGER), {"daskflow_target": task_logs})
    flow_logs = _FLOW_TARGET.get()
    if flow_logs is not None:
        return RunLogger(logging.getLogger(FLOW_LOGGER), {"daskflow_target": flow_logs})
    message = "get_run_logger() works inside a @task or @flow function; use logging.getLogger() elsewhere"
    raise NoRunContext(message)
