"""Task and flow objects themselves: calls outside flows, futures misuse, options, compile."""

from __future__ import annotations

import pickle
import re
from pathlib import Path
from typing import Any

import pytest
from typing_extensions import assert_type

from executors import LocalExecutor
from orchestrator import Flow, FlowDefinitionError, Task, TaskFuture, flow, task
from orchestrator.worker.serialization import TaskSpec


@task(retries=2)
def flaky_counter(box: list[int]) -> int:
    box.append(1)
    if len(box) < 3:
        raise RuntimeError("again")
    return len(box)


@task
def inc(x: int) -> int:
    return x + 1


@flow
def chain(n: int) -> int:
    x: Any = 0
    for _ in range(n):
        x = inc(x)
    return x  # type: ignore[no-any-return]


def test_task_outside_a_flow_runs_now_with_retries() -> None:
    """Calling a task outside any flow runs it at once through the state layer, retries included."""
    box: list[int] = []
    assert flaky_counter(box) == 3


def test_task_outside_a_flow_raises_its_error() -> None:
    """A failing task called outside a flow raises its own exception."""

    @task
    def broken() -> None:
        raise KeyError("nope")

    with pytest.raises(KeyError, match="nope"):
        broken()


def test_fn_is_the_undecorated_function_and_types_are_kept() -> None:
    """task.fn is the plain function, and the decorators keep the signature for type checkers."""
    assert inc.fn(1) == 2
    assert_type(inc, Task[[int], int])
    assert_type(chain, Flow[[int], int])
    assert inc.__name__ == "inc" and inc.__doc__ == inc.fn.__doc__


def test_with_options_changes_only_what_is_given() -> None:
    """with_options returns a new task with changed options and leaves the original alone."""
    slow = inc.with_options(timeout=5, retries=1)
    assert (slow.options.timeout, slow.options.retries, slow.name) == (5, 1, "inc")
    assert inc.options.timeout is None


def test_unknown_option_is_named() -> None:
    """An unknown task option raises FlowDefinitionError listing the valid ones."""
    with pytest.raises(FlowDefinitionError, match=r"unknown option.*retires"):
        task(retires=3)(lambda: None)


@pytest.mark.parametrize("misuse", [bool, len, iter])
def test_future_is_not_its_value(misuse: Any) -> None:
    """bool(), len() and iter() on a TaskFuture raise TypeError saying to call .result()."""

    @flow(executor=LocalExecutor())
    def misusing() -> None:
        misuse(inc(1))

    with pytest.raises(TypeError, match=r"Call \.result\(\)"):
        misusing()


def test_futures_do_not_cross_flow_runs() -> None:
    """A TaskFuture from one flow run passed into another raises a clear error."""
    kept: list[Any] = []

    @flow(executor=LocalExecutor())
    def first() -> None:
        kept.append(inc(1))

    @flow(executor=LocalExecutor())
    def second() -> Any:
        return inc(kept[0])

    first()
    with pytest.raises(FlowDefinitionError, match="another flow run"):
        second()


def test_compile_returns_the_graph_of_a_static_flow() -> None:
    """flow.compile() builds the Dask graph without running it, with readable unique keys."""
    graph = chain.compile(3)
    assert len(graph) == 3
    keys = list(graph)
    assert len(set(keys)) == 3
    assert all(re.fullmatch(r"inc-[0-9a-f]{12}-\d+", k) for k in keys)
    assert graph[keys[2]].dependencies == {keys[1]}


def test_compile_refuses_flows_that_need_values() -> None:
    """compile() on a flow that calls .result() says it is not static."""

    @flow
    def dynamic() -> Any:
        return inc(1).result()

    with pytest.raises(FlowDefinitionError, match="needs the value of task 'inc'"):
        dynamic.compile()


def test_function_is_pickled_once_per_graph() -> None:
    """The task function's bytes appear once in a pickled 200-task graph, not once per task."""
    graph = chain.compile(200)
    payload = pickle.dumps(graph)
    spec = graph[next(iter(graph))].args[0].spec
    assert isinstance(spec, TaskSpec)
    spec_bytes = spec.__reduce__()[1][1]
    assert payload.count(spec_bytes) == 1


def test_task_type_of_future() -> None:
    """Inside a flow, .submit() returns a TaskFuture typed with the task's return type."""

    @flow(executor=LocalExecutor())
    def submitting() -> int:
        future = inc.submit(1)
        assert_type(future, TaskFuture[int])
        return future.result()

    assert submitting() == 2


def test_load_flow_records_where_the_flow_is_for_a_rerun(tmp_path: Path) -> None:
    """A flow loaded from PATH:FLOW knows its absolute entrypoint, and copies made by with_options keep it."""
    from orchestrator.authoring.loader import load_flow

    path = tmp_path / "flows.py"
    path.write_text("from orchestrator import flow\n\n@flow\ndef hello() -> int:\n    return 1\n")
    loaded = load_flow(f"{path}:hello")
    assert loaded.entrypoint == f"{path.resolve()}:hello"
    assert loaded.with_options(progress=False).entrypoint == loaded.entrypoint
