"""daskflow: Prefect-style flows and tasks, compiled into Dask graphs.

This module is the public API only. The code lives in subpackages that
follow the data path of a run, each importing only those below it
(``import-linter`` checks it; see ``pyproject.toml``)::

    views       the CLI, progress, notebook, HTML, SVG and bench reports
    schedules   daskflow serve: schedules, tick times, the lease, claiming and running ticks
    authoring   what users write: @task, @flow, Prefect 1 blocks, branching
    engine      the driver: compile, flush, submit, hear events, decide the run   | notify  notifiers, the deliverer
    worker      what runs inside a Dask task: the state layer     | history   the recorder and the run store
    records     the shared vocabulary: states, runs, errors, options, triggers

Importing this package is cheap: it does not import ``distributed`` (only a
``DaskExecutor`` that starts does), ``pydantic`` (only a flow's first call)
nor IPython (only live progress inside a running Jupyter kernel uses it).
"""

from __future__ import annotations

from executors import Executor, LocalExecutor, VersionMismatchWarning

from .authoring.conditional import case, ifelse, merge
from .authoring.flows import Flow, flow
from .authoring.prefect1 import Parameter
from .authoring.serving import install_server as _install_server
from .authoring.tasks import Task, tags, task
from .authoring.to_dask import DaskGraph, to_dask
from .engine.futures import TaskFuture, allow_failure, flatten, unmapped
from .engine.observers import install_run_display as _install_run_display
from .history.deliveries import install_deliverer as _install_deliverer
from .notify import Email, Hook, Notification, Slack, Webhook
from .notify.background import submit as _deliver_in_background
from .records.display import install_renderers as _install_renderers
from .records.errors import (
    CacheKeyWarning,
    ExecutorError,
    FlowDefinitionError,
    FlowRunFailed,
    OrchestratorError,
    ResultStorageUnavailable,
    ResumeError,
    SchedulerUnreachable,
    Skip,
    TaskRunNotCompleted,
    TaskTimedOut,
    UnpicklableValue,
)
from .records.options import FlowOptions, TaskOptions, exponential_backoff
from .records.runs import FlowRun, TaskRun
from .records.states import State, StateType
from .records.triggers import (
    all_failed,
    all_finished,
    all_successful,
    always,
    any_failed,
    any_successful,
    not_all_skipped,
)
from .schedules import Schedule, ScheduleError, serve
from .schedules import serve_flow as _serve_flow
from .views.console import console_logs as _console_logs
from .views.notebook import live_progress as _live_progress
from .views.renderers import VIEW_RENDERERS as _VIEW_RENDERERS
from .views.visualize import GraphView
from .worker.dask_client import get_dask_client
from .worker.interrupts import TaskInterrupted
from .worker.run_logs import NoRunContext, get_run_logger

# The views sit above every other layer; the lower ones reach them through these two registries.
_install_renderers(_VIEW_RENDERERS)
_install_run_display(_live_progress)
# Flow.serve reaches the schedules above authoring, and the history layer the notify deliverer, the same way.
_install_server(_serve_flow)
_install_deliverer(_deliver_in_background)
_install_run_display(_console_logs)

__all__ = [
    "CacheKeyWarning",
    "DaskExecutor",
    "DaskGraph",
    "Email",
    "Executor",
    "ExecutorError",
    "Flow",
    "FlowDefinitionError",
    "FlowOptions",
    "FlowRun",
    "FlowRunFailed",
    "GraphView",
    "Hook",
    "LocalExecutor",
    "NoRunContext",
    "Notification",
    "OrchestratorError",
    "Parameter",
    "ResultStorageUnavailable",
    "ResumeError",
    "Schedule",
    "ScheduleError",
    "SchedulerUnreachable",
    "Skip",
    "Slack",
    "State",
    "StateType",
    "Task",
    "TaskFuture",
    "TaskInterrupted",
    "TaskOptions",
    "TaskRun",
    "TaskRunNotCompleted",
    "TaskTimedOut",
    "UnpicklableValue",
    "VersionMismatchWarning",
    "Webhook",
    "all_failed",
    "all_finished",
    "all_successful",
    "allow_failure",
    "always",
    "any_failed",
    "any_successful",
    "case",
    "exponential_backoff",
    "flatten",
    "flow",
    "get_dask_client",
    "get_run_logger",
    "ifelse",
    "merge",
    "not_all_skipped",
    "serve",
    "tags",
    "task",
    "to_dask",
    "unmapped",
]


def __getattr__(name: str) -> object:
    # DaskExecutor is re-exported lazily, like in executors, to keep distributed out of import.
    if name == "DaskExecutor":
        import executors

        return executors.DaskExecutor
    raise AttributeError(f"module 'orchestrator' has no attribute {name!r}")
