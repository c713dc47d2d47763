"""A worker killed while it still holds finished tasks' events: their task runs are recovered, not Crashed.

The same flow as the multi-host test of this fault (tests/multihost/flows.py),
here on real ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1,
so it runs without root too. The
victim worker's event batch window is widened (``executors.events.LINGER``,
set in that worker process only) so that it provably holds the final events
of tasks it finished when the test kills it by PID; the rest is plain Dask.
The active memory manager is off on the scheduler so that the replica a
dependent fetched stays where the held-result path reads it.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executors import DaskExecutor
from orchestrator import StateType
from orchestrator.history.store import SQLiteStore
from tests.multihost.flows import lost_batch
from tests.processes import DaskProcesses

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

PARTS = 6
#: Backstop for the whole run: the engine's report grace (10 s) plus the tasks.
RUN_BACKSTOP = 120


#: Run in the victim worker only (by the builtin exec, which pickles by name): hold every event
#: after a batch's first for ten minutes, which is the fault being injected.
WIDEN_EVENT_BATCHES = "from executors import events; events.LINGER = 600.0"


@pytest.fixture
def cluster(tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DaskProcesses]:
    """A scheduler (no active memory manager), a 'victim' worker and an 'other' worker; all stopped afterwards."""
    monkeypatch.setenv("DASK_DISTRIBUTED__SCHEDULER__ACTIVE_MEMORY_MANAGER__START", "False")
    processes = DaskProcesses(tmp_path, tmp_path / "cluster.log")
    try:
        processes.start_scheduler()
        processes.start_worker("victim", extra=["--resources", "victim=1"])
        processes.start_worker("other", extra=["--resources", "other=1"])
        from distributed import Client

        with Client(processes.address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(2, timeout=120)
        yield processes
    finally:
        processes.close()


def test_tasks_whose_events_died_with_their_worker_are_recovered_completed(
    cluster: DaskProcesses, tmp_path: Path, home: Path
) -> None:
    """Kill the victim after its tasks finished but before it sent their events: every task run is Completed."""
    executor = DaskExecutor(address=cluster.address, connect_timeout=10)
    workers = executor.client.scheduler_info()["workers"]
    victim_address = next(address for address, info in workers.items() if info["name"] == "victim")
    executor.client.run(exec, WIDEN_EVENT_BATCHES, workers=[victim_address])
    run_flow = lost_batch.with_options(executor=executor, timeout=RUN_BACKSTOP)

    outcome: dict[str, Any] = {}
    runner = threading.Thread(
        target=lambda: outcome.update(run=run_flow.run(n=PARTS, folder=str(tmp_path))), daemon=True
    )
    runner.start()
    deadline = time.monotonic() + RUN_BACKSTOP
    while not (tmp_path / "finish-started").exists():
        assert time.monotonic() < deadline and runner.is_alive(), "the flow never reached its last task"
        time.sleep(0.02)
    victim = cluster.workers[0]
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(30)
    runner.join(RUN_BACKSTOP)
    assert not runner.is_alive(), "the run did not end after the victim died"

    run = outcome["run"]
    assert run.state is StateType.COMPLETED, run.message
    assert run.result() == [(PARTS - 1) * 10, 2 * sum(i * 10 for i in range(PARTS))]
    produced = [tr for tr in run.task_runs.values() if tr.task == "produce"]
    assert {tr.state for tr in run.task_runs.values()} == {StateType.COMPLETED}
    recovered = [tr for tr in produced if (tr.message or "").startswith("recovered:")]
    # The victim sent its first event at once (it was idle) and held the rest; the last part's result
    # lives on in the other worker, so its exact state came back from there, worker and times included.
    (held,) = [tr for tr in produced if tr.key.endswith(f"-{PARTS - 1}")]
    assert len(recovered) == PARTS - 2
    assert held.message is None and held.worker == victim_address
    assert held.start is not None and held.end is not None and held.end >= held.start
    with SQLiteStore(home / "daskflow.db") as store:
        row = store.get_flow_run(run.id)
        assert row is not None and row.state == "Completed"
        stored = {t.key: t for t in store.list_task_runs(run.id)}
        assert {t.state for t in stored.values()} == {"Completed"}
        assert sum((t.message or "").startswith("recovered:") for t in stored.values()) == PARTS - 2
        assert stored[held.key].worker == held.worker
