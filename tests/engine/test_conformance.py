"""The executor conformance suite: every executor must give the same flow semantics.

Runs against LocalExecutor (synchronous and threaded) and DaskExecutor on a
real LocalCluster through the ``executor`` fixture in tests/conftest.py, each
with chain fusion on and again with it off (``fusion``), since fusion must not
change any semantics.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pydantic
import pytest

from executors import Executor
from orchestrator import (
    FlowRunFailed,
    Skip,
    StateType,
    TaskFuture,
    all_failed,
    all_finished,
    allow_failure,
    always,
    any_failed,
    any_successful,
    flow,
    task,
    unmapped,
)


@pytest.fixture(autouse=True, params=["fused", "unfused"])
def fusion(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every conformance test runs with chain fusion on and off (DASKFLOW_FUSE)."""
    monkeypatch.setenv("DASKFLOW_FUSE", "1" if request.param == "fused" else "0")
    return str(request.param)


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def double(x: int) -> int:
    return 2 * x


@task
def boom(message: str = "boom") -> int:
    raise ValueError(message)


@task
def label(x: Any) -> str:
    return f"got {x!r}"


def test_results_and_dependencies(executor: Executor) -> None:
    """Values flow along dependencies and the flow returns the resolved value."""

    @flow(executor=executor)
    def arithmetic(a: int, b: int) -> dict[str, Any]:
        s = add(a, b)
        return {"sum": s, "pair": (double(s), total([s, s, 1]))}

    assert arithmetic(2, 3) == {"sum": 5, "pair": (10, 11)}


def test_map_and_unmapped(executor: Executor) -> None:
    """map over a future (waiting for its length) and a list, with an unmapped argument."""

    @task
    def numbers(n: int) -> list[int]:
        return list(range(n))

    @flow(executor=executor)
    def mapped(n: int) -> tuple[list[int], int]:
        xs = numbers(n)
        sums = add.map(xs, unmapped(10))
        doubled = double.map(sums)
        return sums, total(doubled)

    sums, grand = mapped(4)
    assert sums == [10, 11, 12, 13] and grand == 2 * sum(sums)


def test_mapped_children_are_named_by_index(executor: Executor) -> None:
    """Mapped task runs are named name[i]."""

    @flow(executor=executor)
    def mapped() -> list[int]:
        return double.map([1, 2, 3])

    run = mapped.run()
    assert sorted(tr.name for tr in run.task_runs.values()) == ["double[0]", "double[1]", "double[2]"]


def test_retries_then_success(executor: Executor, tmp_path: Any) -> None:
    """A task failing twice with retries=2 completes on its third attempt."""
    marker = tmp_path / "attempts"

    @task(retries=2, retry_delay=0.01)
    def flaky() -> str:
        with marker.open("a") as fh:
            fh.write("x")
        if len(marker.read_text()) < 3:
            raise RuntimeError("transient")
        return "ok"

    @flow(executor=executor)
    def retrying() -> str:
        return flaky()

    run = retrying.run()
    assert run.value == "ok" and run.by_name("flaky").attempt == 3


def test_timeout_inside_time_sleep(executor: Executor) -> None:
    """A task blocked in time.sleep(60) is TimedOut within timeout + 1 s and the flow goes on."""

    @task(timeout=1)
    def stuck() -> None:
        time.sleep(60)

    @flow(executor=executor)
    def timing_out() -> tuple[Any, str]:
        s = stuck()
        return label(allow_failure(s)), label(1)

    run = timing_out.run()
    stuck_run = run.by_name("stuck")
    assert stuck_run.state is StateType.TIMED_OUT
    assert stuck_run.duration is not None and stuck_run.duration < 1 + 1
    assert run.value[1] == "got 1"
    assert run.state is StateType.COMPLETED  # handled through allow_failure


@pytest.mark.parametrize(
    ("trigger", "upstream_fails", "runs"),
    [
        (all_finished, True, True),
        (always, False, True),
        (any_failed, True, True),
        (any_failed, False, False),
        (all_failed, True, True),
        (any_successful, True, True),
    ],
)
def test_each_trigger(executor: Executor, trigger: Any, upstream_fails: bool, runs: bool) -> None:
    """Each trigger runs its task or skips it, given a failed or successful upstream."""

    @flow(executor=executor)
    def triggered() -> Any:
        first = boom() if upstream_fails else double(1)
        second = boom() if trigger is all_failed else double(2)
        return label.with_options(trigger=trigger)([first, second])

    run = triggered.run()
    labelled = run.by_name("label")
    assert labelled.state is (StateType.COMPLETED if runs else StateType.SKIPPED)
    if runs and upstream_fails:
        assert run.state is StateType.COMPLETED, "a trigger that accepts failures handles them"


def test_skip_signal_and_skipped_dependents(executor: Executor) -> None:
    """raise Skip marks a task Skipped; its dependents skip too and the run still completes."""

    @task
    def nothing_today() -> int:
        raise Skip("holiday")

    @flow(executor=executor)
    def skipping() -> Any:
        return double(nothing_today())

    run = skipping.run()
    assert run.by_name("nothing_today").message == "holiday"
    assert run.by_name("double").state is StateType.SKIPPED
    assert run.by_name("double").message == "upstream skipped"
    assert run.state is StateType.COMPLETED and run.value is None


def test_allow_failure_passes_the_state(executor: Executor) -> None:
    """allow_failure(fut) hands the upstream State to the task, which then handles the failure."""

    @task
    def inspect_state(state: Any) -> str:
        return f"{state.type.value}: {state.message}"

    @flow(executor=executor)
    def tolerant() -> str:
        return inspect_state(allow_failure(boom("disk full")))

    assert tolerant() == "Failed: ValueError: disk full"


def test_failure_propagation_and_flow_run_failed(executor: Executor) -> None:
    """Dependents of a failed task are Skipped('upstream failed'); the call raises FlowRunFailed chaining the error."""

    @flow(executor=executor)
    def failing() -> Any:
        bad = boom("bad row 7")
        independent = double(21)
        return total([bad, 1]), independent

    with pytest.raises(FlowRunFailed, match="boom") as info:
        failing()
    assert isinstance(info.value.__cause__, ValueError)
    assert "bad row 7" in str(info.value.__cause__)
    run = failing.run()
    assert run.state is StateType.FAILED
    assert run.by_name("total").state is StateType.SKIPPED
    assert run.by_name("total").message == "upstream failed"
    assert run.by_name("double").state is StateType.COMPLETED
    assert run.value == (None, 42)


def test_return_state_gives_the_flow_run(executor: Executor) -> None:
    """return_state=True returns the FlowRun with states, times, attempts and workers of every task run."""

    @flow(executor=executor)
    def small() -> int:
        return double(add(1, 2))

    run = small(return_state=True)
    assert run.state is StateType.COMPLETED and run.value == 6
    assert {tr.name for tr in run.task_runs.values()} == {"add", "double"}
    for tr in run.task_runs.values():
        assert tr.state is StateType.COMPLETED and tr.attempt == 1
        assert tr.start is not None and tr.end is not None and tr.end >= tr.start
    assert run.start is not None and run.end is not None


def test_subflow_runs_in_the_same_graph(executor: Executor) -> None:
    """A flow called inside a flow adds its tasks to the parent's run."""

    @flow
    def inner(x: int) -> Any:
        return double(x)

    @flow(executor=executor)
    def outer() -> Any:
        return add(inner(3), inner(4))

    run = outer.run()
    assert run.value == 14 and run.subflows == ["inner", "inner"]
    assert len(run.task_runs) == 3


def test_parameter_validation_before_anything_runs(executor: Executor) -> None:
    """Bad parameters raise a pydantic ValidationError naming the flow and parameter; nothing runs."""
    ran = threading.Event()

    @task
    def side_effect() -> None:
        ran.set()

    @flow(executor=executor)
    def typed(day: str, count: int) -> None:
        side_effect()

    with pytest.raises(pydantic.ValidationError, match="count") as info:
        typed("2026-11-21", "many")  # type: ignore[arg-type]
    assert "typed" in str(info.value)
    with pytest.raises(pydantic.ValidationError, match="day"):
        typed(count=1)  # type: ignore[call-arg]
    assert not ran.is_set()
    assert typed.run("2026-11-21", "3").parameters == {"day": "2026-11-21", "count": 3}


def test_unpicklable_result_fails_the_task(executor: Executor) -> None:
    """A task returning an unpicklable object is Failed, naming the task and the type; nothing hangs."""

    @task
    def opens_lock() -> Any:
        return threading.Lock()

    @flow(executor=executor)
    def leaky() -> Any:
        return opens_lock()

    run = leaky.run()
    record = run.by_name("opens_lock")
    assert record.state is StateType.FAILED
    assert "opens_lock" in (record.message or "") and "lock" in (record.message or "")


def test_result_inside_the_flow_flushes_and_branches(executor: Executor) -> None:
    """Plain Python branching on .result() works inside a flow body."""

    @flow(executor=executor)
    def branching(x: int) -> Any:
        s = add(x, 1)
        return double(s) if s.result() > 2 else label(s)

    assert branching(5) == 12
    assert branching(0) == "got 1"


def test_wait_for_orders_without_passing_data(executor: Executor, tmp_path: Any) -> None:
    """wait_for= makes a task wait for another whose value it does not take."""
    log = tmp_path / "order"

    @task
    def write(word: str) -> None:
        with log.open("a") as fh:
            fh.write(word + "\n")

    @flow(executor=executor)
    def ordered() -> None:
        first = write("first")
        second = write("second", wait_for=[first])
        write("third", wait_for=[second])

    ordered()
    assert log.read_text().split() == ["first", "second", "third"]


def test_future_state_and_wait(executor: Executor) -> None:
    """TaskFuture.wait() runs the pending graph and .state then reports the final state."""

    @flow(executor=executor)
    def waiting() -> str:
        future = double(4)
        state = future.wait()
        assert isinstance(future, TaskFuture)
        return state.type.value

    assert waiting() == "Completed"
