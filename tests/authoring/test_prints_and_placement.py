"""log_prints routing, and task tags / resources / priority reaching Dask as annotations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from executors import DaskExecutor, Executor
from orchestrator import flow, task


@task(log_prints=True)
def chatty(x: int) -> int:
    print("working on", x)
    return x


@task
def quiet_printer() -> int:
    print("plain print")
    return 0


def test_log_prints_task_prints_become_run_log_records(executor: Executor, run_events: Any) -> None:
    """print() in a log_prints task is an INFO record of that task run; other tasks' prints are not."""

    @flow
    def talk() -> None:
        chatty(3)
        quiet_printer()

    run = talk.run(executor=executor)
    records = [r for r in run_events.logs() if r["key"] in run.task_runs]
    assert [(r["name"], r["level"], r["message"]) for r in records] == [("chatty", "INFO", "working on 3")]


def test_log_prints_flow_covers_its_body_only(capsys: pytest.CaptureFixture[str], run_events: Any) -> None:
    """A log_prints flow logs its body's prints; a task without log_prints still prints normally."""
    from executors import LocalExecutor

    @flow(log_prints=True)
    def talk() -> None:
        print("from the body")
        quiet_printer().result()

    talk.run(executor=LocalExecutor())
    assert [r["message"] for r in run_events.logs()] == ["from the body"]
    assert "plain print" in capsys.readouterr().out


def test_annotations_reach_the_dask_worker(dask_executor: Executor) -> None:
    """tags, resources and priority arrive as the Dask task's annotations on the worker."""

    @task(tags={"etl", "nightly"}, priority=7)
    def introspect() -> dict[str, Any]:
        from distributed import get_worker

        worker = get_worker()
        return dict(worker.state.tasks[worker.get_current_task()].annotations or {})

    @flow
    def look() -> dict[str, Any]:
        return introspect()  # type: ignore[return-value]

    annotations = look.run(executor=dask_executor).value
    assert list(annotations["tags"]) == ["etl", "nightly"]  # msgpack may hand back a tuple
    assert annotations["priority"] == 7


@pytest.mark.parametrize("threads", [0, 2])
def test_annotations_are_ignored_by_local_executors(threads: int) -> None:
    """Tasks with tags, resources and priority run the same on LocalExecutor, which has no use for them."""
    from executors import LocalExecutor

    @task(tags={"a"}, resources={"special": 1}, priority=3)
    def placed() -> int:
        return 5

    @flow
    def run_it() -> int:
        return placed()  # type: ignore[return-value]

    assert run_it.run(executor=LocalExecutor(threads=threads)).value == 5


@pytest.fixture(scope="module")
def special_cluster() -> Iterator[tuple[DaskExecutor, str]]:
    """A real two-worker cluster where only one worker has the resource "special"."""
    from distributed import Nanny, Scheduler, SpecCluster

    cluster = SpecCluster(
        scheduler={"cls": Scheduler, "options": {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0"}},
        workers={
            "special": {"cls": Nanny, "options": {"nthreads": 1, "host": "127.0.0.1", "resources": {"special": 1}}},
            "plain": {"cls": Nanny, "options": {"nthreads": 1, "host": "127.0.0.1"}},
        },
    )
    executor = DaskExecutor(cluster=cluster)
    executor.start()
    workers = executor.client.scheduler_info()["workers"]
    special = next(address for address, info in workers.items() if info.get("resources", {}).get("special"))
    yield executor, special
    executor.client.close()
    cluster.close()


@pytest.mark.cluster
def test_resources_place_tasks_on_the_worker_that_has_them(special_cluster: tuple[DaskExecutor, str]) -> None:
    """Every call of a task with resources={"special": 1} runs on the only worker with that resource."""
    executor, special = special_cluster

    @task(resources={"special": 1})
    def needs_special(i: int) -> int:
        return i

    @task
    def anywhere(i: int) -> int:
        return i

    @flow
    def placed() -> list[int]:
        anywhere.map(range(8))
        return needs_special.map(range(8))  # type: ignore[return-value]

    run = placed.run(executor=executor)
    assert run.value == list(range(8))
    assert {tr.worker for tr in run.task_runs.values() if tr.task == "needs_special"} == {special}
    assert len({tr.worker for tr in run.task_runs.values()}) >= 1
