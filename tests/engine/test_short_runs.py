"""Short runs end when their tasks do: the driver asks for events a worker still batches, it never waits them out."""

from __future__ import annotations

import time
from typing import Any

import pytest

from executors import DaskExecutor, events
from orchestrator import StateType, flow, task
from orchestrator.engine import run_engine

pytestmark = pytest.mark.cluster

#: Seconds a run may take before it is TimedOut: a backstop, far beyond a healthy run's milliseconds.
RUN_BACKSTOP = 60.0


@task
def one() -> int:
    return 1


@flow
def single() -> int:
    return one()


def _booted_seconds_ago(seconds: float) -> Any:
    """A monotonic clock that reads as on a machine booted ``seconds`` ago (Linux counts from the boot)."""
    offset = time.monotonic() - seconds
    return lambda: time.monotonic() - offset


def test_back_to_back_one_task_runs_on_one_worker_end_completed_with_batches_held_an_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Runs one after another on one worker, whose batches wait an hour, each end Completed with their task reported.

    From the second run on, the worker has sent just now, so the task's final
    event waits in a batch. The report grace is an hour too, so the run cannot
    end by recovering the state from the cluster either: only the driver asking
    for the batch ends it before its timeout (the backstop) makes it TimedOut.
    """
    from distributed import LocalCluster

    # In-process workers, so this process's LINGER and clock hold on the worker too.
    monkeypatch.setattr(events, "LINGER", 3600.0)
    monkeypatch.setattr(events, "monotonic", _booted_seconds_ago(60.0))
    monkeypatch.setattr(run_engine, "_REPORT_GRACE", 3600.0)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        executor = DaskExecutor(cluster=cluster)
        try:
            runs = [single.with_options(executor=executor, timeout=RUN_BACKSTOP).run() for _ in range(3)]
        finally:
            executor.client.close()
    assert [run.state for run in runs] == [StateType.COMPLETED] * 3
    assert [[tr.state for tr in run.task_runs.values()] for run in runs] == [[StateType.COMPLETED]] * 3
    assert [run.result() for run in runs] == [1, 1, 1]


def test_an_awaited_task_reports_its_end_at_once_without_a_flush_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """With batches held an hour and the driver's flush request turned off, one-task runs still end Completed.

    The driver waits on the one task's result, so the task sends its final
    event with ``emit_now``: nothing else could end these runs before the backstop.
    """
    from distributed import LocalCluster

    monkeypatch.setattr(events, "LINGER", 3600.0)
    monkeypatch.setattr(events, "monotonic", _booted_seconds_ago(60.0))
    monkeypatch.setattr(run_engine, "_REPORT_GRACE", 3600.0)
    monkeypatch.setattr(DaskExecutor, "flush_events", lambda self: None)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address="127.0.0.1:0") as cluster:
        executor = DaskExecutor(cluster=cluster)
        try:
            runs = [single.with_options(executor=executor, timeout=RUN_BACKSTOP).run() for _ in range(3)]
        finally:
            executor.client.close()
    assert [run.state for run in runs] == [StateType.COMPLETED] * 3
    assert [[tr.state for tr in run.task_runs.values()] for run in runs] == [[StateType.COMPLETED]] * 3
