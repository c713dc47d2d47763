"""Prefect's Dask runners by address on a real cluster, and prefect.context inside tasks on every executor."""

from __future__ import annotations

import os
from typing import Any

import pytest

import orchestrator.compat.prefect as prefect
from executors import Executor
from orchestrator.compat.prefect import Flow, Parameter, flow, task
from orchestrator.compat.prefect.executors import DaskExecutor
from orchestrator.compat.prefect_dask import DaskTaskRunner


@task
def pid() -> int:
    return os.getpid()


@task(max_retries=1, retry_delay=0)
def context_facts(x: int, marker: str) -> dict[str, Any]:
    count = prefect.context.get("task_run_count")
    if count == 1:
        raise RuntimeError("fail the first attempt, to see the count move")
    return {
        "task_name": prefect.context["task_name"],
        "map_index": prefect.context.map_index,
        "flow_name": prefect.context.get("flow_name"),
        "parameters": prefect.context.get("parameters"),
        "task_run_count": count,
        "has_logger": prefect.context.get("logger") is not None,
        "missing": prefect.context.get("no_such_key", "default"),
    }


@pytest.mark.cluster
def test_dask_task_runner_by_address_runs_tasks_on_that_cluster(local_cluster: Any) -> None:
    """DaskTaskRunner(address=...) connects to a running scheduler; tasks run in its worker processes."""

    @flow(task_runner=DaskTaskRunner(address=local_cluster.scheduler_address))
    def where() -> list[int]:
        return [pid(), pid()]

    assert all(p != os.getpid() for p in where())


@pytest.mark.cluster
def test_prefect_1_dask_executor_by_address_runs_a_block(local_cluster: Any) -> None:
    """Prefect 1's DaskExecutor(address=...) runs a `with Flow` block's tasks on that cluster."""
    with Flow("remote") as block:
        here = pid()
    state = block.run(executor=DaskExecutor(address=local_cluster.scheduler_address))
    assert state.is_successful() and state.result[here].result != os.getpid()


def test_prefect_context_inside_tasks(executor: Executor) -> None:
    """prefect.context gives the task's name, map index, attempt, flow name and parameters, also on workers."""
    with Flow("context-flow") as block:
        marker = Parameter("marker", default="m")
        facts = context_facts.map([10, 20], marker=prefect.unmapped(marker))
    state = block.run(executor=executor, marker="x")
    first, second = state.result[facts].result
    assert first == {
        "task_name": "context_facts", "map_index": 0, "flow_name": "context-flow", "parameters": {"marker": "x"},
        "task_run_count": 2, "has_logger": True, "missing": "default",
    }  # fmt: skip
    assert second["map_index"] == 1


def test_prefect_context_in_a_flow_body_and_outside_runs() -> None:
    """In a flow body the context knows the flow run; outside any run, get() gives defaults, [] a KeyError."""
    seen: dict[str, Any] = {}

    @flow
    def body(n: int = 3) -> None:
        seen.update(flow_name=prefect.context.flow_name, parameters=prefect.context["parameters"])

    body()
    assert seen == {"flow_name": "body", "parameters": {"n": 3}}
    assert prefect.context.get("task_name", "none") == "none"
    with pytest.raises(KeyError):
        prefect.context["task_name"]
