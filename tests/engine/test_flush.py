"""Flushing: one submission per flush, the streaming bound, and what the driver holds."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from typing import Any

from executors import LocalExecutor
from executors.base import Annotations, Graph, Handle
from orchestrator import flow, task
from orchestrator.engine.run_engine import RunEngine


class CountingExecutor(LocalExecutor):
    """A real LocalExecutor that also records each submission's size and wanted keys."""

    def __init__(self) -> None:
        super().__init__()
        self.submissions: list[tuple[int, list[str]]] = []

    def submit(self, graph: Graph, keys: Sequence[str], annotations: Annotations | None = None) -> list[Handle]:
        self.submissions.append((len(graph), list(keys)))
        return super().submit(graph, keys, annotations)


@task
def inc(x: int) -> int:
    return x + 1


@task
def total(xs: list[int]) -> int:
    return sum(xs)


def test_static_flow_is_one_submission() -> None:
    """A flow that needs no value mid-run is compiled and submitted once."""
    executor = CountingExecutor()

    @flow(executor=executor)
    def fan(n: int) -> int:
        return total([inc(i) for i in range(n)])

    assert fan(50) == sum(range(1, 51))
    assert [size for size, _ in executor.submissions] == [51]


def test_only_leaves_and_held_futures_are_wanted() -> None:
    """The driver asks for handles only to leaves and futures user code still references."""
    executor = CountingExecutor()

    @flow(executor=executor, fuse=False)  # every call its own key, to count them (fusion: test_fusion.py)
    def held() -> int:
        kept = inc(1)
        chain = inc(inc(inc(kept)))
        kept.wait()  # flushes while `kept` and `chain` are referenced
        return total([chain, kept])

    assert held() == 7
    (size, wanted), _ = executor.submissions
    assert size == 4
    assert sorted(int(key.rsplit("-", 1)[1]) for key in wanted) == [0, 3], "kept (0) and the leaf (3) only"


def test_result_mid_flow_flushes_once_more() -> None:
    """Asking for a value mid-flow flushes what is pending; the rest goes in a second flush."""
    executor = CountingExecutor()

    @flow(executor=executor)
    def two_phase() -> int:
        first = inc(1)
        if first.result() == 2:
            return inc(first)  # type: ignore[no-any-return]
        return 0

    assert two_phase() == 3
    assert [size for size, _ in executor.submissions] == [1, 1]


def test_pending_set_streams_past_the_bound(monkeypatch: Any) -> None:
    """Past flush_bound pending nodes the engine submits a batch while the body keeps building."""
    monkeypatch.setattr(RunEngine, "flush_bound", 100)
    executor = CountingExecutor()

    @flow(executor=executor)
    def big(n: int) -> None:
        for i in range(n):
            inc(i)

    run = big.run(350)
    assert [size for size, _ in executor.submissions] == [100, 100, 100, 50]
    assert len(run.task_runs) == 350 and run.counts() == {"Completed": 350}


def test_intermediate_results_are_freed() -> None:
    """After a run, a LocalExecutor holds no results: intermediates were freed as dependents finished."""
    executor = LocalExecutor()

    @flow(executor=executor)
    def chain(n: int) -> int:
        x: Any = 0
        for _ in range(n):
            x = inc(x)
        return x  # type: ignore[no-any-return]

    assert chain(100) == 100
    gc.collect()
    assert executor._entries == {}
