"""Tag concurrency limits in-process: LocalExecutor runs hold the same slots, and runs share them."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from executors import LocalExecutor
from orchestrator import flow, task
from orchestrator.history.store import SQLiteStore
from tests.intervals import max_overlap


@task(tags={"db"})
def query(i: int) -> tuple[float, float]:
    """Hold the database for a moment; return this call's own start and end."""
    start = time.time()
    time.sleep(0.1)
    return start, time.time()


@flow
def queries(n: int) -> list[tuple[float, float]]:
    return query.map(range(n))


def test_twenty_db_tasks_under_a_limit_of_two_overlap_exactly_two(home: Path) -> None:
    """On 8 threads, 20 tasks tagged db with concurrency={'db': 2} never run more than 2 at once, and do run 2."""
    run = queries.run(20, executor=LocalExecutor(threads=8), concurrency={"db": 2})
    assert run.is_completed, run.message
    assert max_overlap(run.value) == 2


def test_a_waiting_task_is_recorded_pending_and_starts_when_it_gets_the_slot(home: Path) -> None:
    """A task that waited reports Pending 'waiting for a concurrency slot', and its recorded start is after that."""
    run = queries.run(3, executor=LocalExecutor(threads=3), concurrency={"db": 1})
    assert run.is_completed and max_overlap(run.value) == 1
    with SQLiteStore(home / "daskflow.db") as store:
        transitions = {key: store.list_task_transitions(run.id, key) for key in run.task_runs}
        tasks = {t.key: t for t in store.list_task_runs(run.id)}
    waited = [(key, ts) for key, ts in transitions.items() if any(t.state == "Pending" for t in ts)]
    assert len(waited) >= 1
    for key, seen in waited:
        pending = next(t for t in seen if t.state == "Pending")
        assert pending.message == "waiting for a concurrency slot: db (1 slots)"
        start = tasks[key].start
        assert start is not None and start >= pending.ts


def test_two_concurrent_runs_share_one_stored_limit(home: Path) -> None:
    """Two runs at once, on their own executors, under 'concurrency set db 2' from the store, overlap at most 2."""
    with SQLiteStore(home / "daskflow.db") as store:
        store.limits.set("db", 2, time.time())
    values: list[list[tuple[float, float]]] = []

    def one() -> None:
        run = queries.run(8, executor=LocalExecutor(threads=4))
        assert run.is_completed
        values.append(run.value)

    threads = [threading.Thread(target=one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(values) == 2
    assert max_overlap(values[0] + values[1]) == 2
