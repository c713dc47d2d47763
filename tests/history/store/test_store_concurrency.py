"""Concurrent use of one store file: threads sharing a store, processes sharing the file."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

from orchestrator.history.store import SQLiteStore
from tests.paths import REPO_ROOT

EVENTS_PER_RUN = 2_000
BATCH = 50
T0 = 1_763_700_000.0

# Each writer opens the (possibly not yet existing) store, says "ready", waits
# for "go" on stdin so that both writers start together, then writes its run in
# many small transactions, interleaving events, logs and heartbeats.
WRITER = textwrap.dedent(
    """
    import sys
    from orchestrator.history.store import open_store

    path, run = sys.argv[1], sys.argv[2]
    store = open_store(path)
    print("ready", flush=True)
    sys.stdin.readline()
    t0 = {t0!r}
    store.create_flow_run(run, "writer", {{"run": run}}, t0)
    for first in range(0, {events}, {batch}):
        events, logs = [], []
        for i in range(first, first + {batch}):
            key = f"task-{{i // 2}}"
            state = "Running" if i % 2 == 0 else "Completed"
            events.append({{"run": run, "key": key, "task": "task", "name": key, "state": state,
                            "ts": t0 + i, "start": t0 + i, "end": None, "attempt": 1,
                            "worker": run, "message": None, "error": None}})
            logs.append({{"run": run, "key": key, "name": key, "level": "INFO", "ts": t0 + i,
                          "message": f"{{run}} line {{i}}"}})
        store.record_task_events(events)
        store.record_logs(logs)
        store.heartbeat(run, t0 + first)
    store.set_flow_run_state(run, "Completed", t0 + {events})
    store.close()
    print("done", flush=True)
    """
).format(t0=T0, events=EVENTS_PER_RUN, batch=BATCH)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.mark.slow
def test_two_processes_write_one_store_at_once_without_loss(tmp_path: Path) -> None:
    """Two writer processes sharing a new file lose no rows, and the file passes integrity_check."""
    db = tmp_path / "home" / "daskflow.db"
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    runs = ["run-a", "run-b"]
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(db), run],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        for run in runs
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert proc.stdout.readline().strip() == "ready"
        outputs = [proc.communicate("go\n", timeout=120) for proc in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert out.strip() == "done"

    with SQLiteStore(db) as store:
        for run in runs:
            row = store.get_flow_run(run)
            assert row is not None
            assert row.state == "Completed"
            assert store.task_state_counts(run) == {"Completed": EVENTS_PER_RUN // 2}
            assert len(store.list_task_transitions(run)) == EVENTS_PER_RUN
            logs = store.get_logs(run)
            assert len(logs) == EVENTS_PER_RUN
            assert {log.message for log in logs} == {f"{run} line {i}" for i in range(EVENTS_PER_RUN)}
            assert {task.worker for task in store.list_task_runs(run)} == {run}
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_threads_can_share_one_store_object(store: SQLiteStore) -> None:
    """Writer and reader threads using one store object at once lose nothing and never fail."""
    store.create_flow_run("run-1", "etl", {}, T0)

    def write(thread: int) -> None:
        for batch in range(20):
            events = [
                {
                    "run": "run-1",
                    "key": f"t{thread}-{batch}-{i}",
                    "state": "Completed",
                    "ts": T0,
                }
                for i in range(25)
            ]
            store.record_task_events(events)
            store.heartbeat("run-1", T0 + batch)

    def read() -> None:
        for _ in range(50):
            store.task_state_counts("run-1")
            store.list_flow_runs()

    with ThreadPoolExecutor(max_workers=5) as pool:
        futures = [pool.submit(write, n) for n in range(4)]
        futures.append(pool.submit(read))
        for future in futures:
            future.result()  # re-raises any error from the thread
    assert store.task_state_counts("run-1") == {"Completed": 4 * 20 * 25}


FORKER = textwrap.dedent(
    """
    import os, sys
    from orchestrator.history.store import SQLiteStore

    store = SQLiteStore(sys.argv[1])
    store.create_flow_run("parent", "f", {}, 1.0)
    pid = os.fork()
    if pid == 0:
        store.create_flow_run("child", "f", {}, 2.0)
        store.close()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    store.set_flow_run_state("parent", "Completed", 3.0)
    print(status, sorted(r.run_id for r in store.list_flow_runs()))
    store.close()
    """
)


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_forked_child_gets_its_own_connection(tmp_path: Path) -> None:
    """A store object used on both sides of a fork keeps working in parent and child."""
    script = tmp_path / "forker.py"
    script.write_text(FORKER)
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "daskflow.db")],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 ['child', 'parent']"
