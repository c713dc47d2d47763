"""daskflow: Prefect-style flows and tasks, compiled into Dask graphs.

Importing this package is cheap: it does not import ``distributed`` (only a
``DaskExecutor`` that starts does) nor ``pydantic`` (only a flow's first call).
"""

from __future__ import annotations

from executors import Executor, LocalExecutor

from .dask_client import get_dask_client
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
from .futures import TaskFuture, allow_failure, unmapped
from .options import FlowOptions, TaskOptions, exponential_backoff
from .runs import FlowRun, TaskRun
from .states import State, StateType
from .tasks import Task, task
from .triggers import all_failed, all_finished, all_successful, always, any_failed, any_successful

__all__ = [
    "DaskExecutor",
    "Executor",
    "ExecutorError",
    "Flow",
    "FlowDefinitionError",
    "FlowOptions",
    "FlowRun",
    "FlowRunFailed",
    "LocalExecutor",
    "OrchestratorError",
    "SchedulerUnreachable",
    "Skip",
    "State",
    "StateType",
    "Task",
    "TaskFuture",
    "TaskOptions",
    "TaskRun",
    "TaskRunNotCompleted",
    "TaskTimedOut",
    "UnpicklableValue",
    "all_failed",
    "all_finished",
    "all_successful",
    "allow_failure",
    "always",
    "any_failed",
    "any_successful",
    "exponential_backoff",
    "flow",
    "get_dask_client",
    "task",
    "unmapped",
]


def __getattr__(name: str) -> object:
    # DaskExecutor is re-exported lazily, like in executors, to keep distributed out of import.
    if name == "DaskExecutor":
        import executors

        return executors.DaskExecutor
    raise AttributeError(f"module 'orchestrator' has no attribute {name!r}")
