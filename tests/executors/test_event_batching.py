"""Events from tasks on Dask workers travel in per-worker batches, complete and in order."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from dask.task_spec import List, Task, TaskRef

from executors import Executor, events

pytestmark = pytest.mark.cluster

TASKS = 200


def _emit_two(topic: str, i: int) -> int:
    """A task that sends two events, the way the state layer sends Running then a final state."""
    sink = events.sink(topic)
    sink.emit({"i": i, "seq": 0, "worker": sink.worker})
    sink.emit({"i": i, "seq": 1, "worker": sink.worker})
    return i


def _total(values: list[int]) -> int:
    return sum(values)


def test_worker_events_arrive_batched_complete_and_in_order_per_task(dask_executor: Executor) -> None:
    """Two hundred tasks' events reach the subscriber in fewer messages than events, none lost, each task's in order."""
    topic = f"{dask_executor.event_topic}-batching-test"
    messages: list[Any] = []
    got_all = threading.Event()

    def collect(message: Any) -> None:
        messages.append(message)
        if sum(len(m) if isinstance(m, (list, tuple)) else 1 for m in messages) >= 2 * TASKS:
            got_all.set()

    dask_executor.subscribe(topic, collect)
    try:
        graph = {f"emit-{i}": Task(f"emit-{i}", _emit_two, topic, i) for i in range(TASKS)}
        graph["total"] = Task("total", _total, List(*(TaskRef(f"emit-{i}") for i in range(TASKS))))
        (handle,) = dask_executor.submit(graph, ["total"])
        assert handle.result(timeout=120) == sum(range(TASKS))
        assert got_all.wait(60), "not every event arrived"
    finally:
        dask_executor.unsubscribe(topic)

    batches = [list(m) if isinstance(m, (list, tuple)) else [m] for m in messages]
    received = [event for batch in batches for event in batch]
    assert len(received) == 2 * TASKS
    assert len(batches) < len(received), "events were sent one message each"
    assert sorted((e["i"], e["seq"]) for e in received) == [(i, s) for i in range(TASKS) for s in (0, 1)]
    position = {(e["i"], e["seq"]): n for n, e in enumerate(received)}
    assert all(position[i, 0] < position[i, 1] for i in range(TASKS))
    assert {e["worker"] for e in received} <= set(dask_executor.client.scheduler_info()["workers"])
