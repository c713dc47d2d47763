"""Prefect 3 semantics of orchestrator.compat.prefect flows, on every executor of the conformance suite."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from executors import Executor
from orchestrator.compat.prefect import allow_failure, flow, task, unmapped
from orchestrator.compat.prefect.futures import PrefectFuture, as_completed, wait
from orchestrator.compat.prefect.states import Completed, Failed, State


@task
def double(x: int) -> int:
    return 2 * x


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def explode(message: str = "boom") -> int:
    raise ValueError(message)


@task
def describe(value: Any) -> str:
    return repr(value)


@task(timeout_seconds=1)
def hangs() -> None:
    time.sleep(30)


@task
def returns_state(ok: bool) -> Any:
    return Completed(message="all good", data=7) if ok else Failed(message="said no")


def on(executor: Executor, fn: Any) -> Any:
    """``fn`` as a compat flow on ``executor`` (task_runner= takes any daskflow executor)."""
    return flow(task_runner=executor)(fn)


def test_a_direct_call_returns_the_value(executor: Executor) -> None:
    """In a compat flow, t(x) runs the task and returns its value, not a future."""

    def body() -> list[Any]:
        value = double(21)
        return [value, type(value).__name__, add(value, 1)]

    assert on(executor, body)() == [42, "int", 43]


def test_a_failed_direct_call_raises_its_own_exception_and_can_be_caught(executor: Executor) -> None:
    """The task's exception reaches the flow body; once caught, the flow run still completes."""

    def body() -> str:
        try:
            explode("broken")
        except ValueError as exc:
            return f"caught {exc}"
        return "not raised"

    state = on(executor, body)(return_state=True)
    assert (state.name, state.result()) == ("Completed", "caught broken")


def test_an_uncaught_task_failure_fails_the_flow_with_the_task_exception(executor: Executor) -> None:
    """Calling a flow whose body let a task's exception escape raises that exception."""
    with pytest.raises(ValueError, match="escaped"):
        on(executor, lambda: explode("escaped"))()


def test_a_timed_out_call_raises_timeout_error_in_the_body(executor: Executor) -> None:
    """timeout_seconds ends the task TimedOut, and the body sees a TimeoutError."""

    def body() -> str:
        try:
            hangs()
        except TimeoutError:
            return "timed out"
        return "finished"

    assert on(executor, body)() == "timed out"


def test_submit_returns_a_future_with_result_wait_and_state(executor: Executor) -> None:
    """t.submit(x) returns at once; the future resolves, waits and reports its state."""

    def body() -> list[Any]:
        future = double.submit(5)
        assert isinstance(future, PrefectFuture)
        waited = future.wait()
        return [future.result(), waited.name, future.state.is_completed(), future.state.result()]

    assert on(executor, body)() == [10, "Completed", True, 10]


def test_map_returns_futures_and_takes_unmapped_arguments(executor: Executor) -> None:
    """t.map(...) gives one future per item; unmapped() passes an argument whole."""

    def body() -> list[int]:
        futures = add.map([1, 2, 3], unmapped(10))
        assert all(isinstance(f, PrefectFuture) for f in futures)
        return futures.result()

    assert on(executor, body)() == [11, 12, 13]


def test_return_state_gives_the_state_without_raising(executor: Executor) -> None:
    """t(x, return_state=True) returns the State, Completed or Failed, never raising."""

    def body() -> list[Any]:
        ok, bad = double(2, return_state=True), explode(return_state=True)
        error = bad.result(raise_on_failure=False)
        return [ok.name, ok.result(), bad.name, bad.is_failed(), type(error).__name__]

    assert on(executor, body)() == ["Completed", 4, "Failed", True, "ValueError"]


def test_futures_pass_into_tasks_wait_for_and_subflows(executor: Executor) -> None:
    """A future is an argument, an ordering upstream (wait_for=), and a subflow's parameter."""

    @flow
    def subflow(n: int) -> int:
        return double(n)

    def body() -> list[int]:
        first = double.submit(1)
        second = add.submit(first, 1, wait_for=[first])
        return [second.result(), subflow(second)]

    assert on(executor, body)() == [3, 6]


def test_allow_failure_passes_the_upstream_exception_as_the_value(executor: Executor) -> None:
    """A task given allow_failure(f) of a failed f runs and receives f's exception; wait_for accepts it too."""

    def body() -> list[str]:
        broken = explode.submit("upstream")
        seen = describe(allow_failure(broken))
        after = describe.submit("ran", wait_for=[allow_failure(broken)]).result()
        return [seen, after]

    state = on(executor, body)(return_state=True)
    assert state.is_completed()
    assert state.result() == ["ValueError('upstream')", "'ran'"]


def test_the_return_value_decides_the_flow_state(executor: Executor) -> None:
    """Unreturned failed futures leave the flow Completed; returning a failed future fails it."""

    def ignores() -> str:
        explode.submit()
        return "fine"

    def returns_it() -> Any:
        return explode.submit("returned")

    assert on(executor, ignores)(return_state=True).name == "Completed"
    state = on(executor, returns_it)(return_state=True)
    assert state.is_failed()
    with pytest.raises(ValueError, match="returned"):
        on(executor, returns_it)()


def test_returned_states_set_the_task_and_flow_outcome(executor: Executor) -> None:
    """A task returning Completed(data=...) gives data and keeps the message; Failed(...) fails it."""

    def body() -> list[Any]:
        good = returns_state(True, return_state=True)
        bad = returns_state(False, return_state=True)
        return [good.result(), good.message, bad.is_failed(), "said no" in (bad.message or "")]

    assert on(executor, body)() == [7, "all good", True, True]
    manual = on(executor, lambda: Failed(message="declined"))(return_state=True)
    assert (manual.name, manual.message) == ("Failed", "declined")


def test_wait_and_as_completed_cover_every_future(executor: Executor) -> None:
    """wait() splits futures into done and not done; as_completed() yields each future once."""

    def body() -> list[Any]:
        futures = [double.submit(i) for i in range(4)]
        done, not_done = wait(futures)
        seen = sorted(f.result() for f in as_completed(futures))
        return [len(done), len(not_done), seen]

    assert on(executor, body)() == [4, 0, [0, 2, 4, 6]]


def test_hooks_get_prefect_shaped_flow_runs_and_states(executor: Executor) -> None:
    """Flow hooks receive (flow, flow_run, state) with flow_run.name/.id/.parameters and state.name/.is_completed()."""
    seen: list[Any] = []

    def record(fl: Any, run: Any, state: State) -> None:
        seen.append((fl.name, run.name.startswith("hooked-"), run.id, run.parameters, state.name, state.is_completed()))

    @flow(task_runner=executor, on_completion=[record])
    def hooked(n: int = 1) -> int:
        return double(n)

    assert hooked(n=3) == 6
    name, named, run_id, params, state, completed = seen[0]
    assert (name, named, params, state, completed) == ("hooked", True, {"n": 3}, "Completed", True)
    assert len(run_id) == 12


@task
async def async_double(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


def test_async_flows_and_tasks_run_and_gather(executor: Executor) -> None:
    """An async flow returns a coroutine; async task calls in it are awaitables that gather; subflows await."""

    @flow(task_runner=executor)
    async def inner(values: list[int]) -> int:
        return sum(values)

    @flow(task_runner=executor)
    async def outer() -> list[int]:
        values = await asyncio.gather(*(async_double(i) for i in range(3)))
        return [*values, double(5), await inner(values)]

    assert asyncio.run(outer()) == [0, 2, 4, 10, 6]
