"""One flow file, unchanged, on the embedded LocalCluster, on a scheduler at 127.0.0.1 and across hosts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestrator.history.store import SQLiteStore
from tests.processes import DaskProcesses

from .cluster import FLOWS, REPO, MultiHostCluster

#: Backstop for one ``daskflow run``; each takes seconds.
RUN_BACKSTOP = 180
N = 12


def _daskflow_run(home: Path, cwd: Path, address: str | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DASKFLOW_HOME": str(home), "TERM": "dumb", "PYTHONPATH": REPO}
    env.pop("DASKFLOW_ADDRESS", None)
    if address is not None:
        env["DASKFLOW_ADDRESS"] = address
    argv = [sys.executable, "-m", "orchestrator", "run", f"{FLOWS}:pipeline", "--param", f"n={N}"]
    return subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=RUN_BACKSTOP, check=False)


def _record(store: SQLiteStore, run_id: str) -> tuple[object, ...]:
    """What must match between clusters: the run's outcome, its task runs and its log lines (no times, no hosts)."""
    run = store.get_flow_run(run_id)
    assert run is not None
    tasks = sorted((t.task, t.name, t.state, t.attempt, t.message) for t in store.list_task_runs(run_id))
    logs = sorted((line.name, line.level, line.message) for line in store.get_logs(run_id))
    return run.flow_name, run.state, run.parameters, tuple(tasks), tuple(logs)


def test_the_same_flow_file_gives_the_same_results_records_and_logs_on_every_cluster(
    multihost: MultiHostCluster, tmp_path: Path, home: Path
) -> None:
    """pipeline runs unchanged three ways; result, store contents and worker logs match, workers differ."""
    embedded = _daskflow_run(home, tmp_path, None)
    assert embedded.returncode == 0, embedded.stdout + embedded.stderr

    local = DaskProcesses(tmp_path, tmp_path / "local-cluster.log")
    try:
        local.start_cluster(workers=3)
        loopback = _daskflow_run(home, tmp_path, local.address)
    finally:
        local.close()
    assert loopback.returncode == 0, loopback.stdout + loopback.stderr

    multihost.start()
    driver = multihost.drive("pipeline", {"n": N})
    assert driver.wait(RUN_BACKSTOP) == 0, (multihost.net.logs / "driver.log").read_text()
    remote_out = (multihost.net.logs / "driver.log").read_text()

    expected = f"result: {sum(i * i for i in range(N))}"
    for output in (embedded.stdout, loopback.stdout, remote_out):
        assert expected in output.splitlines()

    with SQLiteStore(home / "daskflow.db") as store:
        runs = sorted(store.list_flow_runs(flow="pipeline", limit=0), key=lambda r: r.started)
        assert len(runs) == 3
        records = [_record(store, run.run_id) for run in runs]
        assert records[0] == records[1] == records[2]
        assert records[0][1] == "Completed" and len(records[0][3]) == N + 2
        assert sum(1 for name, _, _ in records[0][4] if name and name.startswith("transform")) == N

        workers = [{t.worker for t in store.list_task_runs(run.run_id)} for run in runs]
        assert all(w and w.startswith("tcp://127.0.0.1:") for w in workers[0] | workers[1])
        hosts = {w.rsplit(":", 1)[0] for w in workers[2] if w}
        # Every task ran on a worker host, and the map spread over more than one of them.
        assert hosts <= {"tcp://198.18.0.11", "tcp://198.18.0.12", "tcp://198.18.0.13"} and len(hosts) >= 2
        assert None not in workers[2]
        remote = runs[2]
        assert remote.host is not None and remote.pid == driver.pid
