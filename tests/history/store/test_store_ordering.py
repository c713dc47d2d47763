"""Task events applied out of order never move a task run's stored state backwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from orchestrator.history.store import SQLiteStore

EventFactory = Callable[..., dict[str, Any]]
T0 = 1_763_700_000.0


def test_older_event_does_not_overwrite_a_newer_state(store: SQLiteStore, make_event: EventFactory) -> None:
    """A Running event older than the stored Completed keeps Completed but is still recorded."""
    store.record_task_events([make_event("a-1", "Completed", T0 + 2, start=T0 + 1, end=T0 + 2)])
    store.record_task_events([make_event("a-1", "Running", T0 + 1, start=T0 + 1)])
    (task,) = store.list_task_runs("run-1")
    assert (task.state, task.end) == ("Completed", T0 + 2)
    history = store.list_task_transitions("run-1", "a-1")
    assert [(t.state, t.ts) for t in history] == [
        ("Running", T0 + 1),
        ("Completed", T0 + 2),
    ]


def test_older_event_in_the_same_batch_does_not_regress(store: SQLiteStore, make_event: EventFactory) -> None:
    """Within one batch, an event stamped earlier than one before it does not win."""
    store.record_task_events(
        [
            make_event("a-1", "Pending", T0),
            make_event("a-1", "Completed", T0 + 3),
            make_event("a-1", "Running", T0 + 1),
            make_event("b-1", "Running", T0 + 1),
            make_event("b-1", "Pending", T0),
        ]
    )
    assert {t.key: t.state for t in store.list_task_runs("run-1")} == {
        "a-1": "Completed",
        "b-1": "Running",
    }
    assert len(store.list_task_transitions("run-1")) == 5


def test_non_terminal_event_never_reopens_a_terminal_task_run(store: SQLiteStore, make_event: EventFactory) -> None:
    """A late Running event, even with a newer ts, cannot undo a Crashed mark from the driver."""
    store.record_task_events([make_event("a-1", "Running", T0)])
    store.mark_unfinished("run-1", "Crashed", T0 + 5, "scheduler lost")
    store.record_task_events([make_event("a-1", "Running", T0 + 6)])
    (task,) = store.list_task_runs("run-1")
    assert (task.state, task.message) == ("Crashed", "scheduler lost")


def test_newer_terminal_event_replaces_a_terminal_state(store: SQLiteStore, make_event: EventFactory) -> None:
    """A task that really completed after being marked Crashed ends up Completed."""
    store.record_task_events([make_event("a-1", "Running", T0)])
    store.mark_unfinished("run-1", "Crashed", T0 + 5, "driver lost")
    store.record_task_events([make_event("a-1", "Completed", T0 + 6, start=T0, end=T0 + 6)])
    (task,) = store.list_task_runs("run-1")
    assert (task.state, task.end, task.message) == ("Completed", T0 + 6, None)


def test_start_and_worker_survive_events_that_omit_them(store: SQLiteStore, make_event: EventFactory) -> None:
    """A later event without start or worker keeps the values an earlier event recorded."""
    worker = "tcp://10.0.0.7:4567"
    store.record_task_events([make_event("a-1", "Running", T0, start=T0, worker=worker)])
    store.record_task_events([make_event("a-1", "Completed", T0 + 1, end=T0 + 1)])
    (task,) = store.list_task_runs("run-1")
    assert (task.start, task.end, task.worker) == (T0, T0 + 1, worker)


def test_a_new_attempt_clears_the_previous_error(store: SQLiteStore, make_event: EventFactory) -> None:
    """Running again after Retrying shows the new attempt without the old attempt's error."""
    error = {"type": "IOError", "message": "flaky", "traceback": "tb"}
    store.record_task_events(
        [
            make_event("a-1", "Retrying", T0, start=T0 - 1, end=T0, error=error),
            make_event("a-1", "Running", T0 + 2, start=T0 + 2, attempt=2),
        ]
    )
    (task,) = store.list_task_runs("run-1")
    assert (task.state, task.attempt, task.start, task.end) == (
        "Running",
        2,
        T0 + 2,
        None,
    )
    assert (task.error_type, task.error_message, task.traceback) == (None, None, None)
