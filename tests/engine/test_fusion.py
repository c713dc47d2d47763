"""Chain fusion keeps every semantic of the unfused graph: records, retries, timeouts, skips, logs, hooks, memory.

Speed is measured in benchmarks/, never here.
"""

from __future__ import annotations

import gc
import time
import weakref
from typing import Any, ClassVar

import pytest

from executors import Executor, LocalExecutor
from orchestrator import Skip, StateType, flow, get_run_logger, task
from orchestrator.engine.fusion import fuse
from orchestrator.engine.observers import add_run_observer


@task
def inc(x: int) -> int:
    get_run_logger().info("inc %d", x)
    return x + 1


@task(fuse=False)
def apart(x: int) -> int:
    return x + 1


@task(priority=5)
def urgent(x: int) -> int:
    return x + 1


FLAKY: dict[str, int] = {}


@task(retries=2, retry_delay=0)
def flaky(x: int) -> int:
    FLAKY["calls"] = FLAKY.get("calls", 0) + 1
    if FLAKY["calls"] < 3:
        raise ConnectionError("not yet")
    return x + 1


@task(timeout=0.5)
def hangs(x: int) -> int:
    time.sleep(10)
    return x


@task
def skips(x: int) -> int:
    raise Skip("nothing to do")


def _chain(executor: Executor, steps: int, fuse_option: bool | None = None) -> Any:
    @flow(executor=executor, fuse=fuse_option)
    def chain() -> int:
        x = inc(0)
        for _ in range(steps - 1):
            x = inc(x)
        return x

    return chain.run()


def test_a_chain_runs_as_one_dask_task_with_the_same_records(executor: Executor) -> None:
    """Fused or not, a chain gives the same value, task-run keys, names, states and attempts."""
    fused, unfused = _chain(executor, 30), _chain(executor, 30, fuse_option=False)
    assert fused.value == unfused.value == 30
    assert [tr.name for tr in fused.task_runs.values()] == [tr.name for tr in unfused.task_runs.values()]
    assert all(tr.state is StateType.COMPLETED and tr.attempt == 1 for tr in fused.task_runs.values())
    assert all(tr.start is not None and tr.end is not None for tr in fused.task_runs.values())


def test_fusion_joins_linear_runs_only() -> None:
    """Chains stop at fan-outs, fan-ins, held futures, opt-outs and a change of placement."""

    @task
    def both(a: int, b: int) -> int:
        return a + b

    submitted: list[dict[str, Any]] = []

    class Capture(LocalExecutor):
        def submit(self, graph: Any, keys: Any, annotations: Any = None) -> Any:
            submitted.append(dict(graph))
            return super().submit(graph, keys, annotations)

    @flow(executor=Capture())
    def shapes() -> list[int]:
        a = inc(inc(inc(0)))  # a chain of 3: one task
        b, c = inc(a), inc(a)  # a fans out: a stays its own task
        d = both(b, c)  # a fan-in
        e = urgent(inc(d))  # another priority: the chain breaks there
        f = apart(inc(e))  # fuse=False keeps apart its own
        return [d, f]

    run = shapes.run()
    assert run.value == [8, 12]
    names = sorted(key.split("-")[0] for key in submitted[0])
    # inc x5: the chain of 3 (one task), b, c, the inc after d (d is held), the inc after e (placement).
    assert names == ["apart", "both", "inc", "inc", "inc", "inc", "inc", "urgent"], names


def test_retries_timeouts_and_failures_inside_a_chain(executor: Executor) -> None:
    """Each fused call keeps its own retries and timeout; a failure makes the rest Skipped."""
    FLAKY.clear()

    @flow(executor=executor)
    def rough() -> int:
        return inc(hangs(inc(flaky(inc(0)))))

    run = rough.run()
    states = {tr.task: tr for tr in run.task_runs.values()}
    if isinstance(executor, LocalExecutor):  # the counter lives in this process only there
        assert states["flaky"].attempt == 3
    assert states["flaky"].state is StateType.COMPLETED
    assert states["hangs"].state is StateType.TIMED_OUT
    last = list(run.task_runs.values())[-1]
    assert (last.state, last.message) == (StateType.SKIPPED, "upstream failed")
    assert run.state is StateType.FAILED


def test_a_skip_inside_a_chain_skips_the_rest_with_its_reason(executor: Executor) -> None:
    """Skip in the middle of a chain: that call Skipped with its reason, the next ones 'upstream skipped'."""

    @flow(executor=executor)
    def skipping() -> int:
        return inc(inc(skips(inc(0))))

    run = skipping.run()
    states = [(tr.task, tr.state, tr.message) for tr in run.task_runs.values()]
    assert states[1] == ("skips", StateType.SKIPPED, "nothing to do")
    assert states[2][1:] == (StateType.SKIPPED, "upstream skipped")
    assert run.state is StateType.COMPLETED


def test_fused_calls_log_to_their_own_task_runs(executor: Executor) -> None:
    """Each call of a fused chain logs as its own task run (its key, its message)."""
    events: list[Any] = []
    with add_run_observer(lambda engine: engine.listeners.append(events.append)):
        run = _chain(executor, 5)
    records = [r for e in events if e.get("kind") == "logs" for r in e["records"]]
    assert sorted((r["key"], r["message"]) for r in records) == sorted(
        (key, f"inc {i}") for i, key in enumerate(run.task_runs)
    )


def test_hooks_run_for_each_fused_call() -> None:
    """Task hooks fire once per call, in order, inside a fused chain."""
    seen: list[str] = []
    noted = task(on_completion=lambda t, tr, s: seen.append(tr.key.rsplit("-", 1)[1]))(lambda x: x + 1)

    @flow(executor=LocalExecutor())
    def hooked() -> int:
        return noted(noted(noted(0)))

    assert hooked() == 3
    assert seen == ["0", "1", "2"]


class Payload:
    """A result whose live instances are counted."""

    live: ClassVar[weakref.WeakSet[Payload]] = weakref.WeakSet()
    peak: ClassVar[int] = 0

    def __init__(self, n: int) -> None:
        self.n = n
        gc.collect()
        Payload.live.add(self)
        Payload.peak = max(Payload.peak, len(Payload.live))


@task
def grow(p: Payload | None) -> Payload:
    return Payload(0 if p is None else p.n + 1)


def test_a_fused_chain_holds_no_more_intermediates_than_the_unfused_graph() -> None:
    """While a chain of 8 runs, at most the previous result and the new one are alive; the last one is kept."""
    Payload.peak = 0

    @flow(executor=LocalExecutor())
    def growing() -> int:
        p = grow(None)
        for _ in range(7):
            p = grow(p)
        return p

    run = growing.run()
    assert run.value.n == 7
    assert Payload.peak <= 2


def test_flow_fuse_false_turns_fusion_off() -> None:
    """@flow(fuse=False) submits every call as its own Dask task."""
    submitted: list[int] = []

    class Count(LocalExecutor):
        def submit(self, graph: Any, keys: Any, annotations: Any = None) -> Any:
            submitted.append(len(graph))
            return super().submit(graph, keys, annotations)

    assert _chain(Count(), 10, fuse_option=False).value == 10
    assert _chain(Count(), 10).value == 10
    assert submitted == [10, 1]


def test_fuse_pass_on_a_graph_maps_each_fused_key_to_its_chain() -> None:
    """fuse() returns which keys went into which chain's task and drops their annotations."""
    from dask.task_spec import Task, TaskRef

    from orchestrator.worker.state_layer import run_task

    graph = {"a": Task("a", run_task, "call-a"), "b": Task("b", run_task, "call-b", TaskRef("a"))}
    graph["c"] = Task("c", run_task, "call-c", TaskRef("b"))
    annotations: dict[str, Any] = {}
    assert fuse(graph, annotations, keep=(), apart=()) == {"a": "c", "b": "c"}
    assert list(graph) == ["c"]
    with pytest.raises(KeyError):
        graph["a"]
