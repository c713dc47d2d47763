"""Prefect keywords map onto daskflow's options; the ones daskflow cannot honour raise a TypeError naming them."""

from __future__ import annotations

import datetime
import threading

import pytest

from executors import DaskExecutor, LocalExecutor
from orchestrator.compat.prefect import Flow, flow, task
from orchestrator.compat.prefect.executors import LocalDaskExecutor
from orchestrator.compat.prefect.task_runners import SequentialTaskRunner, ThreadPoolTaskRunner
from orchestrator.compat.prefect.triggers import any_failed
from orchestrator.compat.prefect_dask import DaskTaskRunner
from orchestrator.records import triggers


def test_prefect_1_task_keywords_translate() -> None:
    """max_retries, a timedelta retry_delay, timeout, log_stdout, trigger, tags, nout and name carry over."""
    t = task(
        max_retries=2,
        retry_delay=datetime.timedelta(seconds=3),
        timeout=datetime.timedelta(minutes=1),
        log_stdout=True,
        trigger=any_failed,
        tags={"db"},
        nout=2,
        name="renamed",
    )(lambda: (1, 2))
    o = t.options
    assert (o.retries, o.retry_delay, o.timeout, o.log_prints, o.nout, o.tags, t.name) == (
        2, 3.0, 60.0, True, 2, frozenset({"db"}), "renamed",
    )  # fmt: skip
    assert o.trigger is triggers.any_failed


def test_prefect_3_task_keywords_translate() -> None:
    """retries, a list of retry_delay_seconds, retry_jitter_factor, timeout_seconds, log_prints, description."""
    t = task(
        retries=3,
        retry_delay_seconds=[1, 2, 4],
        retry_jitter_factor=0.5,
        timeout_seconds=10,
        log_prints=True,
        description="does things",
        version="1.2",
        tags=["a", "b"],
    )(lambda: None)
    o = t.options
    assert (o.retries, o.retry_delay, o.retry_jitter, o.timeout, o.log_prints) == (3, (1.0, 2.0, 4.0), 0.5, 10, True)
    assert (t.description, t.version, o.tags) == ("does things", "1.2", frozenset({"a", "b"}))


@pytest.mark.parametrize("keyword", ["cache_policy", "cache_validator", "target", "result", "result_storage"])
def test_task_keywords_daskflow_cannot_honour_raise_a_type_error_naming_them(keyword: str) -> None:
    """A Prefect keyword with no daskflow meaning is refused by name, never silently ignored."""
    with pytest.raises(TypeError, match=keyword):
        task(**{keyword: True})(lambda: None)


@pytest.mark.parametrize("keyword", ["schedule", "flow_run_name", "on_cancellation"])
def test_flow_keywords_daskflow_cannot_honour_raise_a_type_error_naming_them(keyword: str) -> None:
    """The same holds for flows, of either generation."""
    with pytest.raises(TypeError, match=keyword):
        flow(**{keyword: "x"})(lambda: None)
    with pytest.raises(TypeError, match=keyword):
        Flow("block", **{keyword: "x"})


def test_prefect_3_flow_keywords_translate() -> None:
    """task_runner, timeout_seconds, log_prints, retries and description carry over to the flow."""

    @flow(task_runner=SequentialTaskRunner(), timeout_seconds=datetime.timedelta(seconds=30), log_prints=True,
          retries=2, retry_delay_seconds=0, description="a flow")  # fmt: skip
    def f() -> None: ...

    assert isinstance(f.options.executor, LocalExecutor) and f.options.executor.threads == 0
    assert (f.options.timeout, f.options.log_prints, f.retries, f.description) == (30.0, True, 2, "a flow")


def test_task_runners_and_executors_map_onto_daskflow_executors() -> None:
    """Each Prefect runner or executor is the daskflow executor the README's table names."""
    assert ThreadPoolTaskRunner(max_workers=3).threads == 3
    assert LocalDaskExecutor(scheduler="threads", num_workers=4).threads == 4  # type: ignore[attr-defined]
    assert LocalDaskExecutor(scheduler="synchronous").threads == 0  # type: ignore[attr-defined]
    runner = DaskTaskRunner(address="tcp://127.0.0.1:1")
    assert isinstance(runner, DaskExecutor) and runner.address == "tcp://127.0.0.1:1"
    dotted = DaskTaskRunner(
        cluster_class="distributed.LocalCluster", cluster_kwargs={"n_workers": 1}, adapt_kwargs={"maximum": 2}
    )
    assert dotted.cluster_kwargs == {"n_workers": 1} and dotted.adapt == {"maximum": 2}
    with pytest.raises(TypeError, match="scheduler_address"):
        DaskTaskRunner(scheduler_address="x")


def test_a_compat_flow_runs_on_a_thread_pool_in_this_process_by_default() -> None:
    """Prefect 3's default: tasks run on threads of this process, so they see the script's globals."""

    @task
    def where() -> str:
        return threading.current_thread().name

    @flow
    def default_runner() -> str:
        return where()

    assert default_runner.options.executor.threads >= 5
    assert default_runner().startswith("daskflow-local")


def test_prefect_1_flow_run_is_synchronous_in_this_process_by_default() -> None:
    """Prefect 1's flow.run() without an executor runs every task in the calling thread."""

    @task
    def where() -> str:
        return threading.current_thread().name

    with Flow("sync") as block:
        here = where()
    assert block.run().result[here].result == threading.current_thread().name
