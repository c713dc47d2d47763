"""Sibling batching keeps every semantic of the unbatched graph: values, records, failures, logs, held futures.

Batches form only when the executor says how many tasks it runs at once, so
these tests run on the real Dask cluster and on a thread-pool executor that
says so. Speed is measured in benchmarks/, never here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest
from distributed import get_task_stream

from executors import DaskExecutor, Executor, LocalExecutor
from orchestrator import StateType, allow_failure, flow, get_run_logger, task
from orchestrator.engine.batching import MAX_BATCH, MIN_SIBLINGS, WAVES, batch_size
from orchestrator.engine.observers import add_run_observer

N = MIN_SIBLINGS + 64


class Counted(LocalExecutor):
    """Four threads that say so (so the engine batches), counting the Dask tasks of each submission."""

    def __init__(self) -> None:
        super().__init__(threads=4)
        self.submitted: list[list[str]] = []

    def parallelism(self) -> int | None:
        return 4

    def submit(self, graph: Any, keys: Any, annotations: Any = None) -> Any:
        self.submitted.append(list(graph))
        return super().submit(graph, keys, annotations)


@task
def double(i: int) -> int:
    get_run_logger().info("double %d", i)
    return 2 * i


@task
def collect(values: Sequence[Any]) -> list[Any]:
    return list(values)


@task
def fragile(i: int) -> int:
    if i % 50 == 7:
        raise ValueError(f"bad {i}")
    return i


@task(timeout=0.5)
def sometimes_hangs(i: int) -> int:
    if i == 3:
        time.sleep(30)
    return i


@task(retries=1, retry_delay=0.01)
def waits_to_retry(i: int) -> int:
    return i


def _fan_out(executor: Executor, n: int = N, fuse: bool | None = None) -> Any:
    @flow(executor=executor, fuse=fuse)
    def fan_out() -> list[int]:
        return collect([double(i) for i in range(n)])

    return fan_out.run()


def test_batch_size_keeps_every_thread_busy() -> None:
    """Small groups and small clusters get no batches; big ones get at most MAX_BATCH calls per batch."""
    assert batch_size(MIN_SIBLINGS - 1, 1) == 0
    assert batch_size(MIN_SIBLINGS, 0) == 0
    assert batch_size(100_000, 2) == MAX_BATCH
    assert batch_size(1_000, 2) == 1_000 // (WAVES * 2)
    assert batch_size(1_000, 100) == 0  # fewer calls than WAVES per thread: one Dask task each


def test_a_wide_fan_out_runs_in_few_dask_tasks_with_the_same_records() -> None:
    """Batched or not, a fan-out gives the same values in order, and the same task runs and states."""
    batched, unbatched = Counted(), Counted()
    run, plain = _fan_out(batched), _fan_out(unbatched, fuse=False)
    assert run.value == plain.value == [2 * i for i in range(N)]
    assert len(batched.submitted[0]) == -(-N // batch_size(N, 4)) + 1  # the batches, and collect
    assert len(unbatched.submitted[0]) == N + 1
    assert [tr.name for tr in run.task_runs.values()] == [tr.name for tr in plain.task_runs.values()]
    assert all(tr.state is StateType.COMPLETED and tr.attempt == 1 for tr in run.task_runs.values())


def test_a_failed_call_fails_alone_and_its_siblings_run_on() -> None:
    """A failure in a batch marks that call Failed; the others complete and reach their dependent in order."""

    @flow(executor=Counted())
    def mixed() -> list[Any]:
        return collect([allow_failure(fragile(i)) for i in range(N)])

    run = mixed.run()
    upstream = run.value  # allow_failure hands the dependent each upstream's State
    failed = {i for i in range(N) if i % 50 == 7}
    assert [i for i, s in enumerate(upstream) if s.type is StateType.FAILED] == sorted(failed)
    assert [s.result() for i, s in enumerate(upstream) if i not in failed] == [i for i in range(N) if i not in failed]
    states = [tr.state for tr in run.task_runs.values() if tr.task == "fragile"]
    assert states.count(StateType.FAILED) == len(failed)
    assert states.count(StateType.COMPLETED) == N - len(failed)


def test_a_timeout_inside_a_batch_times_out_that_call_only() -> None:
    """A call past its timeout inside a batch is TimedOut, and the rest of its batch still runs."""

    @flow(executor=Counted())
    def slow_one() -> list[Any]:
        return collect([allow_failure(sometimes_hangs(i)) for i in range(N)])

    run = slow_one.run()
    states = [tr.state for tr in run.task_runs.values() if tr.task == "sometimes_hangs"]  # in call order
    assert states[3] is StateType.TIMED_OUT
    assert states.count(StateType.COMPLETED) == N - 1
    assert run.value[4].result() == 4


def test_batched_calls_log_to_their_own_task_runs() -> None:
    """Each call of a batch logs as its own task run (its key, its message)."""
    events: list[Any] = []
    with add_run_observer(lambda engine: engine.listeners.append(events.append)):
        run = _fan_out(Counted())
    records = [r for e in events if e.get("kind") == "logs" for r in e["records"]]
    keys = [tr.key for tr in run.task_runs.values() if tr.task == "double"]
    assert sorted((r["key"], r["message"]) for r in records) == sorted(
        (key, f"double {i}") for i, key in enumerate(keys)
    )


def test_held_batched_calls_give_their_own_values_now_and_in_later_flushes() -> None:
    """Futures user code holds into a batch: .result(), states, and passing them on after a flush."""
    executor = Counted()

    @flow(executor=executor)
    def held() -> tuple[int, Any, list[int], int]:
        futures = [double(i) for i in range(N)]
        fifth = futures[5].result()  # flushes: every call is held, so every call is wanted
        state = futures[9].wait()
        later = collect(futures[::-1])  # a later flush reads items out of the earlier batches
        return fifth, state, later.result(), double(futures[7]).result()

    run = held.run()
    fifth, state, later, chained = run.value
    assert fifth == 10
    assert state.type is StateType.COMPLETED
    assert later == [2 * i for i in reversed(range(N))]
    assert chained == 28
    assert len(executor.submitted[0]) < N  # the first flush was batched, held futures and all


def test_retry_delays_and_fuse_false_keep_calls_apart() -> None:
    """A task that sleeps between retries, and a flow with fuse=False, submit one Dask task per call."""
    executor = Counted()

    @flow(executor=executor)
    def retrying() -> list[int]:
        return collect([waits_to_retry(i) for i in range(N)])

    assert retrying.run().value == list(range(N))
    assert len(executor.submitted[0]) == N + 1


@pytest.mark.cluster
def test_a_fan_out_on_dask_runs_as_batches(local_cluster: Any) -> None:
    """On a real cluster the engine asks Dask for its threads and submits batches; the run matches unbatched."""
    executor = DaskExecutor(address=local_cluster.scheduler_address)
    try:
        with get_task_stream(client=executor.client) as stream:
            run = _fan_out(executor)
        computed = {row["key"] for row in stream.data}
        plain = _fan_out(executor, fuse=False)
        workers = set(executor.client.scheduler_info()["workers"])
    finally:
        executor.client.close()
    assert run.value == plain.value == [2 * i for i in range(N)]
    assert sum(key.endswith("-batch") for key in computed) == -(-N // batch_size(N, 4))
    assert len(computed) < N
    assert {tr.state for tr in run.task_runs.values()} == {StateType.COMPLETED}
    assert {tr.worker for tr in run.task_runs.values() if tr.task == "double"} <= workers
