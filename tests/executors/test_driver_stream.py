"""The driver's client sends a submitted graph to the scheduler without waiting out Dask's 10 ms batch."""

from __future__ import annotations

import pytest
from dask.task_spec import Task

from executors import Executor
from executors.dask_cluster import DRIVER_BATCH_INTERVAL

pytestmark = pytest.mark.cluster


def _one() -> int:
    return 1


def test_a_submit_shortens_the_clients_batch_interval_to_the_drivers(dask_executor: Executor) -> None:
    """After a submit, the client batches its messages to the scheduler for at most 2 ms, not Dask's 10 ms.

    A graph sent within 10 ms of the client's previous message (the keys the
    last run released) waited out the rest of those 10 ms: most of a one-task run.
    """
    client = dask_executor.client  # type: ignore[attr-defined]
    (handle,) = dask_executor.submit({"driver-stream-one": Task("driver-stream-one", _one)}, ["driver-stream-one"])
    assert dask_executor.gather([handle]) == [1]
    assert client.scheduler_comm.interval == DRIVER_BATCH_INTERVAL <= 0.002
