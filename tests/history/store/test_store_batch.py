"""Batched writes: many task events in one call, applied all together or not at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orchestrator.history.store import SQLiteStore, StoreError

EventFactory = Callable[..., dict[str, Any]]
T0 = 1_763_700_000.0


def test_ten_thousand_events_are_written_in_one_call(store: SQLiteStore, make_event: EventFactory) -> None:
    """10,000 events for 5,000 tasks (Running then Completed) all land correctly."""
    events = []
    for i in range(5_000):
        start = T0 + i
        events.append(make_event(f"transform-{i}", "Running", start, start=start, worker="w1"))
        events.append(
            make_event(
                f"transform-{i}",
                "Completed",
                start + 0.5,
                start=start,
                end=start + 0.5,
                worker="w1",
            )
        )
    store.record_task_events(events)
    assert store.task_state_counts("run-1") == {"Completed": 5_000}
    tasks = store.list_task_runs("run-1")
    assert len(tasks) == 5_000
    assert tasks[1234].key == "transform-1234"
    assert (tasks[1234].start, tasks[1234].end) == (T0 + 1234, T0 + 1234.5)
    assert len(store.list_task_transitions("run-1")) == 10_000


def test_a_batch_is_all_or_nothing(store: SQLiteStore, make_event: EventFactory) -> None:
    """When SQLite rejects one event of a batch, none of the batch's events are kept."""
    events = [make_event(f"a-{i}", "Completed", T0 + i) for i in range(100)]
    events[70]["worker"] = object()  # SQLite cannot bind this, so the 71st row fails
    with pytest.raises(StoreError):
        store.record_task_events(events)
    assert store.list_task_runs("run-1") == []
    assert store.list_task_transitions("run-1") == []
    # The store stays usable after the rolled-back batch.
    store.record_task_events(events[:70])
    assert store.task_state_counts("run-1") == {"Completed": 70}


def test_empty_batches_are_accepted(store: SQLiteStore) -> None:
    """Recording no events and no logs is a no-op, not an error."""
    store.record_task_events([])
    store.record_logs([])
    assert store.list_task_runs("run-1") == []
