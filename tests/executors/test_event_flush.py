"""A worker sends the task events it batches early: when the driver asks, and when it closes."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
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

    # In-process workers, so this process's LINGER holds: a scheduled send would come after an hour.
    monkeypatch.setattr(events, "LINGER", 3600.0)
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
            # Each handle is held until its event came: a dropped handle lets Dask forget a task before it runs.
            held = executor.submit({"one": Task("one", _emit, topic, 1)}, ["one"])
            assert first.wait(ARRIVE_WITHIN), "the first event never arrived"
            held += executor.submit({"two": Task("two", _emit_then_close, topic, 2)}, ["two"])
            assert both.wait(ARRIVE_WITHIN), f"only {received} arrived"
            del held
        finally:
            executor.client.close()
    assert [event["n"] for event in received] == [1, 2]


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
def held_batches(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[DaskExecutor, str, _Collector]]:
    """An executor on one in-process worker whose batches wait an hour, a topic, and what arrives on it."""
    from distributed import LocalCluster

    monkeypatch.setattr(events, "LINGER", 3600.0)
    monkeypatch.setattr(events, "monotonic", _booted_seconds_ago(60.0))
    collect = _Collector()
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        try:
            topic = f"{executor.event_topic}-held"
            executor.subscribe(topic, collect)
            (one,) = executor.submit({"one": Task("one", _emit, topic, 1)}, ["one"])
            # The first event goes at once (the worker never sent); from now on events wait in a batch.
            assert one.result() == 1
            assert collect.wait_for(1) == [1]
            yield executor, topic, collect
        finally:
            executor.client.close()


def test_a_worker_sends_its_batched_events_when_the_driver_asks(
    held_batches: tuple[DaskExecutor, str, _Collector],
) -> None:
    """With batches held for an hour, an event waiting in one arrives once the executor asks for a flush."""
    executor, topic, collect = held_batches
    (second,) = executor.submit({"two": Task("two", _emit, topic, 2)}, ["two"])
    assert second.result() == 2
    executor.flush_events()
    assert collect.wait_for(2) == [1, 2]


def _emit_now(topic: str, n: int) -> int:
    events.sink(topic).emit_now({"n": n})
    return n


def test_an_event_sent_with_emit_now_skips_the_batch_window(held_batches: tuple[DaskExecutor, str, _Collector]) -> None:
    """With batches held for an hour, an event sent with ``emit_now`` arrives unasked, with the batch it joins."""
    executor, topic, collect = held_batches
    # Handles held until both ran: a dropped handle lets Dask forget its task before it runs.
    (two,) = executor.submit({"two": Task("two", _emit, topic, 2)}, ["two"])
    assert two.result() == 2
    (three,) = executor.submit({"three": Task("three", _emit_now, topic, 3)}, ["three"])
    assert three.result() == 3
    assert collect.wait_for(3) == [1, 2, 3]
