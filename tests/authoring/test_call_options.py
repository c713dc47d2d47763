"""Call-level authoring features: tags(), nout unpacking, timedeltas, trigger names, allow_failure in wait_for,
and subflows resolving futures in their parameters."""

from __future__ import annotations

import datetime

import pytest

from executors import Executor
from orchestrator import FlowDefinitionError, StateType, allow_failure, flow, tags, task


@task(tags={"base"})
def tagged() -> int:
    return 1


@task(nout=2)
def pair() -> tuple[int, int]:
    return 4, 5


@task
def add(a: int, b: int) -> int:
    return a + b


@task
def boom() -> int:
    raise ValueError("boom")


@task(trigger="always")
def after() -> str:
    return "ran"


def test_tags_add_to_every_call_inside_the_block_and_nest(executor: Executor) -> None:
    """Calls inside with tags(...) carry those tags too; the same tag set reuses one task copy."""
    seen: list[frozenset[str]] = []

    @flow(executor=executor)
    def f() -> int:
        with tags("outer"):
            first = tagged()
            with tags("inner"):
                second, third = tagged(), tagged()
        seen.extend([first.task.options.tags, second.task.options.tags])
        assert second.task is third.task
        return add(first, second).result()

    assert f() == 2
    assert seen == [frozenset({"base", "outer"}), frozenset({"base", "outer", "inner"})]


def test_nout_unpacks_a_future_into_item_futures(executor: Executor) -> None:
    """a, b = t() on a task with nout=2 gives two futures without running anything first."""

    @flow(executor=executor)
    def f() -> int:
        a, b = pair()
        return add(a, b).result()

    assert f() == 9


def test_timedelta_works_wherever_seconds_do() -> None:
    """retry_delay (alone or in a list), timeout and a flow's timeout take timedeltas."""
    t = task(retries=2, retry_delay=[datetime.timedelta(seconds=1), 2], timeout=datetime.timedelta(minutes=2))(add)
    assert (t.options.retry_delay, t.options.timeout) == ((1.0, 2.0), 120.0)
    assert flow(timeout=datetime.timedelta(seconds=5))(lambda: None).options.timeout == 5.0


def test_built_in_triggers_can_be_named_and_unknown_names_are_refused(executor: Executor) -> None:
    """trigger="always" is the built-in trigger; an unknown name lists the known ones."""

    @flow(executor=executor)
    def f() -> str:
        failing = boom()
        return after(wait_for=[failing]).result()

    run = f.run()
    assert run.value == "ran" and run.state is StateType.COMPLETED  # the failure was handled by "always"
    with pytest.raises(FlowDefinitionError, match="any_failed"):
        task(trigger="sometimes")(add)


def test_wait_for_takes_allow_failure(executor: Executor) -> None:
    """wait_for=[allow_failure(f)] waits for a failed f and handles its failure."""

    @flow(executor=executor)
    def f() -> int:
        failing = boom()
        return add(1, 2, wait_for=[allow_failure(failing)]).result()

    run = f.run()
    assert run.state is StateType.COMPLETED and run.value == 3


def test_a_subflow_resolves_futures_in_its_parameters_before_validation(executor: Executor) -> None:
    """sub(future) validates the future's value against the subflow's type hints, not the future."""

    @flow
    def sub(n: int) -> int:
        return add(n, n).result()

    @flow(executor=executor)
    def parent() -> int:
        return sub(add(1, 2))

    assert parent() == 6
