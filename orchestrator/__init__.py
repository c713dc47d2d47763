"""daskflow: Prefect-style flows and tasks, compiled into Dask graphs.

Importing this package is cheap: it does not import ``distributed`` (only a
``DaskExecutor`` that starts does), ``pydantic`` (only a flow's first call)
nor IPython (only live progress inside a running Jupyter kernel uses it).
"""

from __future__ import annotations

from executors import Executor, LocalExecutor, VersionMismatchWarning

from .conditional import case, ifelse, merge
from .dask_client import get_dask_client
from .dask_graph import DaskGraph, to_dask
from .errors import (
    ExecutorError,
    FlowDefinitionError,
    FlowRunFailed,
    OrchestratorError,
    SchedulerUnreachable,
    Skip,
    TaskRunNotCompleted,
    TaskTimedOut,
    UnpicklableValue,
)
from .flows import Flow, flow
from .futures import TaskFuture, allow_failure, flatten, unmapped
from .interrupts import TaskInterrupted
from .options import FlowOptions, TaskOptions, exponential_backoff
from .prefect1 import Parameter
from .run_logs import NoRunContext, get_run_logger
from .runs import FlowRun, TaskRun
from .states import State, StateType
from .tasks import Task, task
from .triggers import (
    all_failed,
    all_finished,
    all_successful,
    always,
    any_failed,
    any_successful,
    not_all_skipped,
)
from .visualize import GraphView

__all__ = [
    "DaskExecutor",
    "DaskGraph",
    "Executor",
    "ExecutorError",
    "Flow",
    "FlowDefinitionError",
    "FlowOptions",
    "FlowRun",
    "FlowRunFailed",
    "GraphView",
    "LocalExecutor",
    "NoRunContext",
    "OrchestratorError",
    "Parameter",
    "SchedulerUnreachable",
    "Skip",
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
