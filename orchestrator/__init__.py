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

Importing this package costs almost nothing: each public name loads its
module on first use (``from orchestrator import flow`` loads the authoring
layer and dask; ``Slack`` the notifiers; ``serve`` the schedules), so the
CLI's store commands and the dashboard never import dask. ``distributed``
loads only when a ``DaskExecutor`` is used, ``pydantic`` at a flow's first
call, IPython only for live progress inside a running Jupyter kernel. The
lower layers reach the views through registries filled here with adapters
that import the views on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .authoring.serving import install_server as _install_server
from .engine.observers import install_run_display as _install_run_display
from .history.deliveries import install_deliverer as _install_deliverer
from .records.display import install_renderers as _install_renderers

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from contextlib import AbstractContextManager

    from executors import DaskExecutor, Executor, LocalExecutor, VersionMismatchWarning

    from .authoring.conditional import case, ifelse, merge
    from .authoring.flows import Flow, flow
    from .authoring.prefect1 import Parameter
    from .authoring.tasks import Task, tags, task
    from .authoring.to_dask import DaskGraph, to_dask
    from .engine.futures import TaskFuture, allow_failure, flatten, unmapped
    from .engine.run_engine import RunEngine
    from .history.store import RunStore
    from .notify import Email, Hook, Notification, Slack, Webhook
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
    from .views.visualize import GraphView
    from .worker.dask_client import get_dask_client
    from .worker.interrupts import TaskInterrupted
    from .worker.run_logs import NoRunContext, get_run_logger

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

#: Every public name, and the module it loads from on first use.
_LAZY: dict[str, str] = {
    "CacheKeyWarning": ".records.errors",
    "DaskExecutor": "executors",
    "DaskGraph": ".authoring.to_dask",
    "Email": ".notify",
    "Executor": "executors",
    "ExecutorError": ".records.errors",
    "Flow": ".authoring.flows",
    "FlowDefinitionError": ".records.errors",
    "FlowOptions": ".records.options",
    "FlowRun": ".records.runs",
    "FlowRunFailed": ".records.errors",
    "GraphView": ".views.visualize",
    "Hook": ".notify",
    "LocalExecutor": "executors",
    "NoRunContext": ".worker.run_logs",
    "Notification": ".notify",
    "OrchestratorError": ".records.errors",
    "Parameter": ".authoring.prefect1",
    "ResultStorageUnavailable": ".records.errors",
    "ResumeError": ".records.errors",
    "Schedule": ".schedules",
    "ScheduleError": ".schedules",
    "SchedulerUnreachable": ".records.errors",
    "Skip": ".records.errors",
    "Slack": ".notify",
    "State": ".records.states",
    "StateType": ".records.states",
    "Task": ".authoring.tasks",
    "TaskFuture": ".engine.futures",
    "TaskInterrupted": ".worker.interrupts",
    "TaskOptions": ".records.options",
    "TaskRun": ".records.runs",
    "TaskRunNotCompleted": ".records.errors",
    "TaskTimedOut": ".records.errors",
    "UnpicklableValue": ".records.errors",
    "VersionMismatchWarning": "executors",
    "Webhook": ".notify",
    "all_failed": ".records.triggers",
    "all_finished": ".records.triggers",
    "all_successful": ".records.triggers",
    "allow_failure": ".engine.futures",
    "always": ".records.triggers",
    "any_failed": ".records.triggers",
    "any_successful": ".records.triggers",
    "case": ".authoring.conditional",
    "exponential_backoff": ".records.options",
    "flatten": ".engine.futures",
    "flow": ".authoring.flows",
    "get_dask_client": ".worker.dask_client",
    "get_run_logger": ".worker.run_logs",
    "ifelse": ".authoring.conditional",
    "merge": ".authoring.conditional",
    "not_all_skipped": ".records.triggers",
    "serve": ".schedules",
    "tags": ".authoring.tasks",
    "task": ".authoring.tasks",
    "to_dask": ".authoring.to_dask",
    "unmapped": ".engine.futures",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'orchestrator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # next time, a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


# -- the views and services the lower layers reach through registries ---------------------------
# Each adapter imports what it needs when first called, so installing them costs nothing.


def _notebook_progress(engine: RunEngine, progress: bool | None) -> AbstractContextManager[object]:
    from .views.notebook import live_progress

    return live_progress(engine, progress)


def _console(engine: RunEngine, progress: bool | None) -> AbstractContextManager[object]:
    from .views.console import console_logs

    return console_logs(engine, progress)


class _Views:
    """``records.display.Renderers``, drawn by orchestrator.views.renderers."""

    def run_html(self, run: Any) -> str:
        from .views.renderers import VIEW_RENDERERS

        return VIEW_RENDERERS.run_html(run)

    def run_graph(self, run: Any) -> Any:
        from .views.renderers import VIEW_RENDERERS

        return VIEW_RENDERERS.run_graph(run)

    def graph(self, graph: Mapping[str, Any], title: str) -> Any:
        from .views.renderers import VIEW_RENDERERS

        return VIEW_RENDERERS.graph(graph, title)


def _serve(flow: Any, **schedule: Any) -> None:
    from .schedules import serve_flow

    serve_flow(flow, **schedule)


def _deliver(store: RunStore, run_ids: Sequence[str]) -> None:
    from .notify.background import submit

    submit(store, run_ids)


_install_renderers(_Views())
_install_run_display(_notebook_progress)
_install_run_display(_console)
# Flow.serve reaches the schedules above authoring, and the history layer the notify deliverer, the same way.
_install_server(_serve)
_install_deliverer(_deliver)
