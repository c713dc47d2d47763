"""Prefect 1 authoring: ``with Flow(...)`` blocks, upstream_tasks, set_upstream, Parameter, flow.run."""

from __future__ import annotations

import itertools
import subprocess
import sys
from typing import Any

import pydantic
import pytest

from executors import Executor, LocalExecutor
from orchestrator import Flow, FlowDefinitionError, FlowRun, Parameter, StateType, TaskFuture, flow, task
from orchestrator.authoring.prefect1 import FlowBlock
from tests.paths import EXAMPLES

EXAMPLE = EXAMPLES / "prefect1_ml_pipeline.py"


@task
def record(box: list[str], label: str) -> str:
    box.append(label)
    return label


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def stamp(label: str) -> str:
    return label


def order_by_time(run: FlowRun, names: list[str]) -> list[str]:
    """The names sorted by when their task runs started."""
    return sorted(names, key=lambda name: run.by_name(name).start or 0.0)


@pytest.mark.slow
def test_the_original_example_prints_in_dependency_order() -> None:
    """The brief's Prefect 1 example runs unchanged as a script and prints its four lines in order."""
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=120, check=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert lines == ["Extracting data...", "Preprocessing data...", "Training ML model...", "Evaluating ML model..."]


def test_the_example_graph_runs_in_dependency_order_on_every_executor(executor: Executor) -> None:
    """The example's chain of upstream_tasks runs each task after the previous one, on any executor."""
    with Flow("ml_pipeline") as pipeline:
        data = stamp("extract")
        processed = stamp("preprocess", upstream_tasks=[data])
        model = stamp("train", upstream_tasks=[processed])
        stamp("evaluate", upstream_tasks=[model])
    run = pipeline.run(executor=executor)
    assert run.state is StateType.COMPLETED
    runs = sorted(run.task_runs.values(), key=lambda tr: tr.start or 0.0)
    assert [tr.key.split("-")[0] for tr in runs] == ["stamp"] * 4
    for before, after in itertools.pairwise(runs):
        assert before.end is not None and after.start is not None and before.end <= after.start


def test_block_calls_are_recorded_not_run() -> None:
    """Calling tasks inside the block runs nothing; each call returns a placeholder TaskFuture."""
    box: list[str] = []
    with Flow("lazy") as lazy:
        first = record(box, "a")
    assert isinstance(first, TaskFuture)
    assert box == []
    with pytest.raises(FlowDefinitionError, match="only being built"):
        first.result()
    assert isinstance(lazy, FlowBlock) and isinstance(lazy, Flow)


def test_flow_run_returns_the_flow_run_with_terminal_values(executor: Executor) -> None:
    """flow.run() returns the FlowRun; its value maps each terminal call of the block to its value."""
    with Flow("sums") as sums:
        three = add(1, 2)
        seven = add(three, 4)
    run = sums.run(executor=executor)
    assert isinstance(run, FlowRun) and run.is_completed
    assert run.value == {seven: 7}
    assert three not in run.value


def test_parameters_become_validated_values(executor: Executor) -> None:
    """Parameters are replaced by the run's values; defaults apply and required ones must be given."""
    with Flow("params") as params:
        x = Parameter("x")
        y = Parameter("y", default=10)
        total = add(x, y)
    assert params.run(parameters={"x": 1}, executor=executor).value == {total: 11}
    assert params.run(parameters={"x": 1, "y": 2}, executor=executor).value == {total: 3}
    with pytest.raises(pydantic.ValidationError):
        params.run(executor=executor)
    with pytest.raises(pydantic.ValidationError):
        params.run(parameters={"x": 1, "z": 2}, executor=executor)


def test_set_upstream_and_set_downstream_on_calls(executor: Executor) -> None:
    """set_upstream/set_downstream on calls add ordering edges, even to calls made later."""
    with Flow("edges") as edges:
        last = stamp("last")
        first = stamp("first")
        middle = stamp("middle")
        last.set_upstream(middle)
        first.set_downstream(middle)
    run = edges.run(executor=executor)
    assert run.is_completed
    # Task runs are created in the order the replay submitted them: dependencies first.
    first_run, middle_run, last_run = run.task_runs.values()
    assert (first_run.end or 0) <= (middle_run.start or 0) and (middle_run.end or 0) <= (last_run.start or 0)
    assert edges.compile() and len(run.edges[last_run.key]) == 1


def test_set_upstream_on_task_objects_prefect1_style(executor: Executor) -> None:
    """Task objects used with set_upstream become one no-argument node each, ordered as asked."""
    box: list[str] = []

    @task
    def first() -> None:
        box.append("first")

    @task
    def second() -> None:
        box.append("second")

    with Flow("objects") as objects:
        second.set_upstream(first)
    run = objects.run(executor=executor)
    assert run.is_completed and len(run.task_runs) == 2
    if executor.pickles_graph:
        assert order_by_time(run, ["second", "first"]) == ["first", "second"]
    else:
        assert box == ["first", "second"]


def test_set_dependencies_cycle_is_refused() -> None:
    """A cycle made with set_upstream fails when the flow runs, naming both calls."""
    with Flow("cycle") as cycle:
        a = stamp("a")
        b = stamp("b", upstream_tasks=[a])
        a.set_upstream(b)
    with pytest.raises(FlowDefinitionError, match="cycle"):
        cycle.run().result()


def test_set_upstream_in_a_flow_body_orders_pending_calls(executor: Executor) -> None:
    """In a @flow body, set_upstream on a pending call makes it wait for a call made after it."""

    @flow
    def body() -> list[str]:
        late = stamp("late")
        early = stamp("early")
        late.set_upstream(early)
        return [late, early]  # type: ignore[list-item]

    run = body.run(executor=executor)
    assert run.value == ["late", "early"]
    late_run, early_run = sorted(run.task_runs.values(), key=lambda tr: int(tr.key.rsplit("-", 1)[1]))
    assert (early_run.end or 0) <= (late_run.start or 0)


def test_set_upstream_after_submission_is_refused() -> None:
    """set_upstream on a call already submitted says so and suggests wait_for=."""

    @flow
    def body() -> None:
        done = stamp("done")
        done.result()
        done.set_upstream(stamp("other"))

    with pytest.raises(FlowDefinitionError, match="already submitted"):
        body.run(executor=LocalExecutor()).result()


def test_block_flow_as_a_subflow_and_compile() -> None:
    """A block flow compiles like a @flow and joins a parent flow's graph when called inside it."""
    with Flow("inner") as inner:
        n = Parameter("n", default=1)
        add(n, 1)
    graph = inner.compile(n=5)
    assert len(graph) == 1

    @flow
    def outer() -> Any:
        return inner(n=2)

    values = outer.run(executor=LocalExecutor()).result()
    assert list(values.values()) == [3]


def test_foreign_futures_in_a_block_are_refused() -> None:
    """A call in one block cannot take a placeholder from another block."""
    with Flow("one"):
        stray = stamp("x")
    with pytest.raises(FlowDefinitionError, match="not made in this block"), Flow("two"):
        stamp(stray)  # type: ignore[arg-type]


def test_parameter_names_are_checked() -> None:
    """A Parameter name must be an identifier, and a flow cannot have two Parameters of one name."""
    with pytest.raises(FlowDefinitionError, match="identifier"):
        Parameter("bad-name")
    with pytest.raises(FlowDefinitionError, match="already has a Parameter"), Flow("dupes"):
        add(Parameter("x"), Parameter("x"))
