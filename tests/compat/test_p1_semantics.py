"""Prefect 1 semantics of orchestrator.compat.prefect ``with Flow`` blocks, on every executor."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from executors import Executor
from orchestrator import FlowDefinitionError
from orchestrator.compat.prefect import Flow, Parameter, Task, case, task, unmapped
from orchestrator.compat.prefect.engine import signals
from orchestrator.compat.prefect.engine.state import Success, TriggerFailed
from orchestrator.compat.prefect.tasks.control_flow import merge, switch
from orchestrator.compat.prefect.triggers import all_finished, manual_only


@task
def one() -> int:
    return 1


@task
def numbers() -> list[int]:
    return [1, 2, 3]


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def fail() -> None:
    raise ValueError("bad data")


@task
def identity(x: Any) -> Any:
    return x


@task(nout=2)
def split(xs: list[int]) -> tuple[int, int]:
    return xs[0], xs[-1]


@task
def skip_it() -> None:
    raise signals.SKIP("nothing to do")


class Scale(Task):
    def __init__(self, by: int = 1, **kwargs: Any) -> None:
        self.by = by
        super().__init__(**kwargs)

    def run(self, x: int) -> int:
        return x * self.by


def test_flow_run_returns_a_state_with_results_by_reference(executor: Executor) -> None:
    """flow.run() returns a state: is_successful(), .message, and .result[ref].result for each call."""
    with Flow("results") as flow:
        total = add(one(), 2)
    state = flow.run(executor=executor)
    assert state.is_successful() and not state.is_failed()
    assert state.message == "All reference tasks succeeded."
    assert state.result[total].result == 3
    assert isinstance(state.result[total], Success)
    assert state.result[add].result == 3  # a task object called once names that call


def test_a_failure_fails_the_run_and_its_dependents_are_trigger_failed(executor: Executor) -> None:
    """A failed task fails the run; its dependent ends TriggerFailed, which is a Failed state."""
    with Flow("failing") as flow:
        bad = fail()
        after = identity(bad)
    state = flow.run(executor=executor)
    assert state.is_failed() and state.message == "Some reference tasks failed."
    assert state.result[bad].is_failed()
    assert isinstance(state.result[after], TriggerFailed) and state.result[after].is_failed()


def test_set_reference_tasks_decides_the_run(executor: Executor) -> None:
    """With reference tasks chosen, a failure elsewhere does not fail the run."""
    with Flow("references") as flow:
        good = one()
        fail()
    flow.set_reference_tasks([good])
    assert flow.run(executor=executor).is_successful()


def test_operators_on_results_and_parameters_build_tasks(executor: Executor) -> None:
    """x + y, a[0], a > 1 and a Parameter's arithmetic build tasks inside a block; nout unpacks."""
    with Flow("operators") as flow:
        n = Parameter("n", default=4)
        xs = numbers()
        total = xs[0] + n
        bigger = total > 2
        scaled = n * 10
        first, last = split(xs)
    state = flow.run(executor=executor)
    values = [state.result[r].result for r in (total, bigger, scaled, first, last)]
    assert values == [5, True, 40, 1, 3]


def test_value_questions_inside_a_block_raise_instead_of_answering_wrongly() -> None:
    """if x == 1 / bool(x) on a placeholder or a Parameter in a block raise a TypeError."""
    with pytest.raises(FlowDefinitionError, match="compare inside a task"), Flow("bad"):
        x = one()
        bool(x == 1)
    with pytest.raises(TypeError), Flow("bad-bool"):
        bool(Parameter("p", default=1))


def test_a_task_passed_itself_means_its_result(executor: Executor) -> None:
    """Passing a task object, not called, as an argument stands for its (single) call's result."""
    with Flow("uncalled") as flow:
        doubled = add(one, one)
    assert flow.run(executor=executor).result[doubled].result == 2


def test_map_mixes_mapped_unmapped_and_ordering_only_upstreams(executor: Executor) -> None:
    """.map(xs, unmapped(y), upstream_tasks=[t]) maps over xs, passes y whole, and waits for t."""
    with Flow("mapped") as flow:
        first = one()
        mapped = add.map(numbers(), y=unmapped(first), upstream_tasks=[skip_it])
        plain = add.map([10, 20], 1, upstream_tasks=[first])
    state = flow.run(executor=executor)
    assert state.result[plain].result == [11, 21]
    assert state.result[mapped].is_mapped()
    assert all(child.is_skipped() for child in state.result[mapped].map_states)


def test_class_based_tasks_keep_their_settings_and_task_args_rename(executor: Executor) -> None:
    """class MyTask(Task): def run(...) works; task_args= renames one call."""
    triple = Scale(by=3, name="triple", max_retries=1, retry_delay=timedelta(seconds=0))
    with Flow("classes") as flow:
        a = triple(2)
        b = triple(5, task_args={"name": "renamed"})
    state = flow.run(executor=executor)
    assert (state.result[a].result, state.result[b].result, b.name) == (6, 15, "renamed")
    assert triple.options.retries == 1


def test_signals_skip_fail_and_success(executor: Executor) -> None:
    """SKIP ends Skipped with its message, FAIL ends Failed with its message, SUCCESS gives its result."""

    @task
    def failing() -> None:
        raise signals.FAIL("refused")

    @task
    def early() -> None:
        raise signals.SUCCESS("done early", result=9)

    with Flow("signals") as flow:
        s, f, e = skip_it(), failing(), early()
    state = flow.run(executor=executor)
    assert (state.result[s].is_skipped(), state.result[s].message) == (True, "nothing to do")
    assert (state.result[f].is_failed(), state.result[f].message) == (True, "refused")
    assert state.result[e].result == 9


def test_case_merge_and_switch_take_one_branch(executor: Executor) -> None:
    """case/merge run the matching branch and skip the other; switch picks by value."""

    @task
    def pick() -> str:
        return "b"

    with Flow("branches") as flow:
        choice = pick()
        with case(choice, "a"):
            a = identity("took a")
        with case(choice, "b"):
            b = identity("took b")
        merged = merge(a, b)
        switch(choice, {"a": one, "b": numbers})
    state = flow.run(executor=executor)
    assert state.result[merged].result == "took b"
    assert state.result[a].is_skipped()
    assert state.result[numbers].result == [1, 2, 3] and state.result[one].is_skipped()


def test_triggers_and_skip_on_upstream_skip(executor: Executor) -> None:
    """trigger=all_finished runs after a failure; skip_on_upstream_skip=False runs after a skip with None."""

    @task(trigger=all_finished)
    def cleanup() -> str:
        return "cleaned"

    @task(skip_on_upstream_skip=False)
    def tolerant(x: Any) -> str:
        return f"got {x}"

    with Flow("triggers") as flow:
        c = cleanup(upstream_tasks=[fail()])
        t = tolerant(skip_it())
    state = flow.run(executor=executor)
    assert state.result[c].result == "cleaned"
    assert state.result[t].result == "got None"
    with pytest.raises(FlowDefinitionError, match="manual_only"):
        task(trigger=manual_only)(lambda: None)


def test_state_handlers_see_transitions_and_may_replace_the_state(executor: Executor) -> None:
    """Task state handlers get (task, old, new) on the worker; returning Success replaces a failure."""

    def forgive(t: Any, old: Any, new: Any) -> Any:
        return Success("forgiven", result="ok") if new.is_failed() else new

    @task(state_handlers=[forgive])
    def flaky() -> None:
        raise RuntimeError("known")

    flow_seen: list[str] = []
    with Flow("handlers", state_handlers=[lambda f, old, new: flow_seen.append(f"{old.name}->{new.name}")]) as flow:
        result = flaky()
    state = flow.run(executor=executor)
    assert state.result[result].result == "ok"
    assert flow_seen == ["Pending->Running", "Running->Success"]


def test_parameters_run_by_keyword_or_dict() -> None:
    """flow.run(x=...) and flow.run(parameters={...}) both set Parameters; a missing required one is an error."""
    with Flow("params") as flow:
        x = Parameter("x")
        y = Parameter("y", default=1)
        total = add(x, y)
    assert flow.run(x=2).result[total].result == 3
    assert flow.run(parameters={"x": 2, "y": 5}).result[total].result == 7
    with pytest.raises(ValueError, match="x"):
        flow.run()
