"""A worker sends the task events it batches early: when it runs out of work, and when it closes."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from dask.task_spec import Task

from executors import DaskExecutor, events

pytestmark = pytest.mark.cluster

#: Backstop for the event to arrive; it comes as the worker closes.
ARRIVE_WITHIN = 60.0


def _emit(topic: str, n: int) -> int:
    events.sink(topic).emit({"n": n})
    return n


def _emit_then_close(topic: str, n: int) -> int:
    """Send an event, which waits for its batch (the worker sent one just now), then close the worker."""
    from distributed import get_worker

    worker = get_worker()
    events.sink(topic).emit({"n": n})
    worker.loop.add_callback(worker.close)
    return n


def _booted_seconds_ago(seconds: float) -> Any:
    """A monotonic clock that reads as on a machine booted ``seconds`` ago (Linux counts from the boot)."""
    offset = time.monotonic() - seconds
    return lambda: time.monotonic() - offset


def test_a_closing_worker_sends_its_batched_events(monkeypatch: pytest.MonkeyPatch) -> None:
    """With batches held for an hour, an event waiting in one still arrives: the worker sends it as it closes.

    On a machine booted a minute ago: the first event of a worker that never sent goes at once.
    """
    from distributed import LocalCluster

    # In-process workers, so this process's LINGER holds: a scheduled send would come after an hour,
    # and with no flush when idle only the close can send the second event.
    monkeypatch.setattr(events, "LINGER", 3600.0)
    monkeypatch.setattr(events, "FLUSH_WHEN_IDLE", False)
    monkeypatch.setattr(events, "monotonic", _booted_seconds_ago(60.0))
    received: list[Any] = []
    first, both = threading.Event(), threading.Event()

    def collect(message: Any) -> None:
        received.extend(message if isinstance(message, (list, tuple)) else [message])
        (both if len(received) >= 2 else first).set()

    # processes=False: in-process transport, no sockets at all.
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        try:
            topic = f"{executor.event_topic}-close-test"
            executor.subscribe(topic, collect)
            # The first event goes at once (the worker was idle); the second, soon after, waits for a batch.
            executor.submit({"one": Task("one", _emit, topic, 1)}, ["one"])
            assert first.wait(ARRIVE_WITHIN), "the first event never arrived"
            executor.submit({"two": Task("two", _emit_then_close, topic, 2)}, ["two"])
            assert both.wait(ARRIVE_WITHIN), f"only {received} arrived"
        finally:
            executor.client.close()
    assert [event["n"] for event in received] == [1, 2]


#: What the tests' tasks wait on; in-process workers share this module (a threading.Event cannot be pickled).
_GATES: dict[str, threading.Event] = {}


def _emit_once_the_next_task_is_ready(topic: str, n: int, next_key: str) -> int:
    """Wait (a backstop aside) until ``next_key`` is queued on this worker, then send an event and return."""
    from distributed import get_worker

    worker = get_worker()
    deadline = time.monotonic() + ARRIVE_WITHIN
    while (ts := worker.state.tasks.get(next_key)) is None or ts.state != "ready":
        assert time.monotonic() < deadline, f"{next_key} never became ready on the worker"
        time.sleep(0.005)
    events.sink(topic).emit({"n": n})
    return n


def _emit_when_released(topic: str, n: int) -> int:
    _GATES["started"].set()
    assert _GATES["release"].wait(ARRIVE_WITHIN), "the test never released the task"
    events.sink(topic).emit({"n": n})
    return n


class _Collector:
    """The events of one topic as they arrive, and a way to wait for the first ``n``."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self._changed = threading.Condition()

    def __call__(self, message: Any) -> None:
        with self._changed:
            self.received.extend(message if isinstance(message, (list, tuple)) else [message])
            self._changed.notify_all()

    def wait_for(self, n: int) -> list[int]:
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.received) >= n, ARRIVE_WITHIN), f"only {self.received}"
            return [event["n"] for event in self.received]


@pytest.fixture
def hour_long_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process workers hold a batch for an hour, on a machine booted a minute ago (first events go at once)."""
    monkeypatch.setattr(events, "LINGER", 3600.0)
    monkeypatch.setattr(events, "monotonic", _booted_seconds_ago(60.0))


@pytest.mark.usefixtures("hour_long_batches")
def test_a_worker_that_runs_out_of_work_sends_its_batched_events_at_once() -> None:
    """An event that would wait an hour for its batch arrives as soon as its worker has nothing left to run."""
    from distributed import LocalCluster

    collect = _Collector()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        try:
            topic = f"{executor.event_topic}-idle-test"
            executor.subscribe(topic, collect)
            first = executor.submit({"one": Task("one", _emit, topic, 1)}, ["one"])
            assert collect.wait_for(1) == [1]
            # The worker sent just now, so this event joins a batch; the worker then goes idle and sends it.
            # (The handles are kept: a key nobody wants is cancelled, and a cancelled task's end is not idleness.)
            second = executor.submit({"two": Task("two", _emit, topic, 2)}, ["two"])
            assert collect.wait_for(2) == [1, 2]
            assert [h.result() for h in (*first, *second)] == [1, 2]
        finally:
            executor.client.close()


@pytest.mark.usefixtures("hour_long_batches")
def test_a_worker_with_work_queued_keeps_batching_until_it_runs_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """A task's event stays in its batch while the next task is queued and running; both go once the worker idles."""
    from distributed import LocalCluster

    monkeypatch.setitem(_GATES, "started", threading.Event())
    monkeypatch.setitem(_GATES, "release", threading.Event())
    collect = _Collector()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        try:
            topic = f"{executor.event_topic}-busy-test"
            executor.subscribe(topic, collect)
            first = executor.submit({"one": Task("one", _emit, topic, 1)}, ["one"])
            assert collect.wait_for(1) == [1]
            graph = {
                "two": Task("two", _emit_once_the_next_task_is_ready, topic, 2, "three"),
                "three": Task("three", _emit_when_released, topic, 3),
            }
            rest = executor.submit(graph, ["two", "three"])
            assert _GATES["started"].wait(ARRIVE_WITHIN), "the third task never started"
            (worker,) = cluster.workers.values()
            # Read on the worker's loop, where batches are sent: "two" finished with "three" queued, so it waits.
            assert executor.client.sync(_held_events, worker, topic) == [2]
            _GATES["release"].set()
            assert collect.wait_for(3) == [1, 2, 3]
            assert [h.result() for h in (*first, *rest)] == [1, 2, 3]
        finally:
            executor.client.close()


async def _held_events(worker: Any, topic: str) -> list[int]:
    return [event["n"] for event in events._BATCHES[worker][topic]._events]
