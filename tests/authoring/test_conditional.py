"""Lazy branches: case blocks, merge and ifelse, in @flow bodies and in `with Flow(...)` blocks."""

from __future__ import annotations

from typing import Any

import pytest

from executors import Executor
from orchestrator import Flow, FlowDefinitionError, Parameter, StateType, case, flow, ifelse, merge, task


@task
def is_big(x: int) -> bool:
    return x > 2


@task
def big(x: int) -> str:
    return f"big {x}"


@task
def small(x: int) -> str:
    return f"small {x}"


@task
def shout(text: str) -> str:
    return text.upper()


@task
def nothing() -> None:
    return None


@task
def yes() -> str:
    return "yes"


@task
def no() -> str:
    return "no"


@flow
def branchy(x: int) -> dict[str, Any]:
    flag = is_big(x)
    with case(flag, True):
        loud = shout(big(x))
    with case(flag, False):
        quiet = small(x)
    return {"merged": merge(loud, quiet)}


@pytest.mark.parametrize(
    ("x", "taken", "untaken", "value"), [(5, "big", "small", "BIG 5"), (1, "small", "big", "small 1")]
)
def test_case_runs_one_branch_and_skips_the_other(
    executor: Executor, x: int, taken: str, untaken: str, value: str
) -> None:
    """Only the matching case block runs; tasks of the other end Skipped with reason "condition false"."""
    run = branchy.run(x, executor=executor)
    assert run.is_completed
    assert run.value == {"merged": value}
    assert run.by_name(taken).state is StateType.COMPLETED
    skipped = run.by_name(untaken)
    assert skipped.state is StateType.SKIPPED and skipped.message == "condition false"


def test_skip_reason_propagates_down_an_untaken_branch(executor: Executor) -> None:
    """A task downstream of a skipped branch task is Skipped with "condition false" too."""
    run = branchy.run(1, executor=executor)
    assert run.by_name("shout").state is StateType.SKIPPED
    assert run.by_name("shout").message == "condition false"


def test_case_builds_the_graph_without_a_flush(counting: Any) -> None:
    """case/merge/ifelse add nodes lazily: the whole flow is one submission."""

    @flow
    def lazy(x: int) -> Any:
        flag = is_big(x)
        with case(flag, True):
            a = big(x)
        with case(flag, False):
            b = small(x)
        return merge(a, b), ifelse(flag, yes, no)

    assert lazy.run(7, executor=counting).value == ("big 7", "yes")
    assert counting.submissions == 1


def test_merge_keeps_a_none_result_of_the_branch_that_ran(executor: Executor) -> None:
    """merge returns the value of the branch that ran, even when that value is None."""

    @flow
    def pick(x: int) -> Any:
        flag = is_big(x)
        with case(flag, True):
            a = nothing()
        with case(flag, False):
            b = small(x)
        return merge(a, b)

    run = pick.run(9, executor=executor)
    assert run.is_completed and run.value is None
    assert run.by_name("small").message == "condition false"


def test_nested_cases_skip_the_inner_block_when_the_outer_is_false(executor: Executor) -> None:
    """An inner case inside a false outer case is skipped with "condition false" as well."""

    @flow
    def nested(x: int) -> None:
        with case(is_big(x), True), case(x, 9):
            big(x)

    run = nested.run(1, executor=executor)
    assert run.is_completed
    assert run.by_name("big").message == "condition false"
    assert {tr.state for tr in run.task_runs.values() if tr.task == "case"} == {StateType.SKIPPED}


def test_ifelse_with_tasks_lambdas_and_calls(executor: Executor) -> None:
    """ifelse runs the branch bool(condition) picks, given tasks, lambdas or calls, and merges them."""

    @flow
    def choose(x: int) -> list[Any]:
        flag = is_big(x)
        made = small(x)
        return [ifelse(flag, yes, no), ifelse(flag, lambda: big(x), made), ifelse(x, yes, no)]

    run = choose.run(0, executor=executor)
    assert run.value == ["no", "small 0", "no"]
    assert run.by_name("big").message == "condition false"
    assert choose.run(4, executor=executor).value == ["yes", "big 4", "yes"]


def test_merge_fails_with_a_failed_branch(executor: Executor) -> None:
    """A failed branch is not a skipped one: merge skips and the flow run fails."""

    @task
    def broken(x: int) -> str:
        raise ValueError("broken branch")

    @flow
    def failing(x: int) -> Any:
        flag = is_big(x)
        with case(flag, True):
            a = broken(x)
        with case(flag, False):
            b = small(x)
        return merge(a, b)

    run = failing.run(5, executor=executor)
    assert run.state is StateType.FAILED
    assert run.by_name("merge").message == "upstream failed"


def test_case_and_merge_in_a_prefect1_block(executor: Executor) -> None:
    """case and merge work in `with Flow(...)`, comparing against a Parameter's value."""
    with Flow("switch") as switch:
        mode = Parameter("mode", default="fast")
        with case(mode, "fast"):
            fast = shout("fast")
        with case(mode, "slow"):
            slow = small(0)
        result = merge(fast, slow)
    assert switch.run(executor=executor).value == {result: "FAST"}
    run = switch.run(parameters={"mode": "slow"}, executor=executor)
    assert run.value == {result: "small 0"}
    assert run.by_name("shout").message == "condition false"


def test_ifelse_in_a_prefect1_block_on_a_task_result(executor: Executor) -> None:
    """ifelse in a block adds the condition as an upstream of calls made before it."""
    with Flow("iffy") as iffy:
        n = Parameter("n")
        when_big = big(n)
        when_small = small(n)
        chosen = ifelse(is_big(n), when_big, when_small)
    assert iffy.run(parameters={"n": 3}, executor=executor).value == {chosen: "big 3"}
    run = iffy.run(parameters={"n": 2}, executor=executor)
    assert run.value == {chosen: "small 2"}
    assert run.by_name("big").message == "condition false"


def test_case_outside_a_flow_is_refused() -> None:
    """case() outside any flow says where it works."""
    with pytest.raises(FlowDefinitionError, match="inside a @flow body"), case(True, True):
        pass
