"""The writer child process: it commits what the driver sends, survives nothing it should not, and never loses a run."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from orchestrator import LocalExecutor, StateType, flow, task
from orchestrator.history.recorder import Recorder
from orchestrator.history.store import SQLiteStore
from orchestrator.history.store import writer as writer_module
from orchestrator.history.store.writer import StoreWriter, release_writer, writer_for
from orchestrator.records.runs import FlowRun, TaskRun

pytestmark = pytest.mark.slow  # starts writer processes

T0 = 1_800_000_000.0
#: Backstop for a child process to exit; a healthy one exits at once.
EXIT_TIMEOUT = 60.0


def _event(run: str, i: int, state: str = "Completed") -> dict[str, Any]:
    return {
        "run": run,
        "key": f"t-{run}-{i}",
        "task": "t",
        "name": f"t[{i}]",
        "state": state,
        "ts": T0 + i,
        "start": T0 + i,
        "end": T0 + i,
        "attempt": 1,
        "worker": None,
        "message": None,
        "error": None,
    }


def _process(writer: StoreWriter) -> subprocess.Popen[bytes]:
    process = writer._process
    assert process is not None
    return process


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    store = SQLiteStore(tmp_path / "daskflow.db")
    store.create_flow_run("r1", "f", {}, T0, host="h", pid=1)
    return store


def test_the_child_commits_everything_sent_before_a_sync(store: SQLiteStore, tmp_path: Path) -> None:
    """Events, logs and a heartbeat sent to the child are all in the store once sync() returns True."""
    writer = StoreWriter(os.fspath(tmp_path / "daskflow.db"))
    try:
        assert writer.send(("events", [_event("r1", i) for i in range(300)]))
        assert writer.send(("events", [_event("r1", i) for i in range(300, 600)]))
        assert writer.send(
            ("logs", [{"run": "r1", "key": "t-r1-0", "name": "t[0]", "level": "INFO", "ts": T0, "message": "hello"}])
        )
        assert writer.send(("heartbeat", "r1", T0 + 99))
        assert writer.sync()
        assert len(store.list_task_runs("r1")) == 600
        assert [log.message for log in store.get_logs("r1")] == ["hello"]
        assert store.get_flow_run("r1").heartbeat == T0 + 99  # type: ignore[union-attr]
    finally:
        writer.close()


def test_the_child_writes_what_it_read_and_exits_when_its_input_closes(store: SQLiteStore, tmp_path: Path) -> None:
    """Closing the pipe (as a killed driver does) lets the child write what it had and exit cleanly."""
    writer = StoreWriter(os.fspath(tmp_path / "daskflow.db"))
    process = _process(writer)
    assert writer.send(("events", [_event("r1", i) for i in range(50)]))
    writer.close()
    assert process.returncode == 0
    assert len(store.list_task_runs("r1")) == 50


def test_a_killed_child_makes_the_recorder_write_itself_and_lose_nothing(store: SQLiteStore, tmp_path: Path) -> None:
    """If the child dies mid-run, send() returns False and the recorder's thread writes the batches itself."""
    path = os.fspath(tmp_path / "daskflow.db")
    run = FlowRun("r2", "f", {})
    recorder = Recorder(store, run, writer_path=path)
    recorder.begin()
    child = recorder._writer
    assert child is not None and child.alive
    process = _process(child)
    os.kill(process.pid, signal.SIGKILL)
    process.wait(EXIT_TIMEOUT)
    for i in range(200):
        recorder.on_event(_event("r2", i))
    run.state = StateType.COMPLETED
    recorder.finish()
    rows = store.list_task_runs("r2")
    assert len(rows) == 200 and {r.state for r in rows} == {"Completed"}
    assert store.get_flow_run("r2").state == "Completed"  # type: ignore[union-attr]


def test_events_a_killed_child_had_not_written_are_rewritten_from_the_driver(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """A child killed with a batch unread in its pipe: finish() notices and writes every finished task run itself."""
    path = os.fspath(tmp_path / "daskflow.db")
    run = FlowRun("r3", "f", {})
    recorder = Recorder(store, run, writer_path=path)
    recorder.begin()
    child = recorder._writer
    assert child is not None
    process = _process(child)
    os.kill(process.pid, signal.SIGSTOP)  # reads nothing from now on
    sent = threading.Event()
    real_send = child.send

    def send_and_tell(message: tuple[Any, ...], timeout: float = 30.0) -> bool:
        ok = real_send(message, timeout)
        if message[0] == "events":
            sent.set()
        return ok

    child.send = send_and_tell  # type: ignore[method-assign]
    for i in range(200):
        event = _event("r3", i)
        run.task_runs[event["key"]] = TaskRun(event["key"], "t", event["name"])
        run.task_runs[event["key"]].apply(event)
        recorder.on_event(event)
    assert sent.wait(EXIT_TIMEOUT), "the recorder never sent the batch"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(EXIT_TIMEOUT)
    run.state = StateType.COMPLETED
    recorder.finish()
    rows = store.list_task_runs("r3")
    assert len(rows) == 200 and {r.state for r in rows} == {"Completed"}


def test_runs_in_one_process_share_one_child_which_closes_when_idle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """writer_for() gives every run on a store the same child; once all release it, it is closed after IDLE_CLOSE."""
    monkeypatch.setattr(writer_module, "IDLE_CLOSE", 0.0)
    path = os.fspath(tmp_path / "shared.db")
    first = writer_for(path)
    second = writer_for(path)
    assert first is not None and first is second
    process = _process(first)
    release_writer(path)
    assert first.alive, "closed while a run still used it"
    release_writer(path)
    process.wait(EXIT_TIMEOUT)
    assert not first.alive


@task
def square(x: int) -> int:
    return x * x


@flow
def squares(n: int) -> list[int]:
    return square.map(range(n))  # type: ignore[return-value]


def test_a_recorded_flow_run_goes_through_a_child_and_is_complete_when_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A flow run's task runs are all in the store when the call returns, written by a process other than this one."""
    home = tmp_path / "home"
    monkeypatch.setenv("DASKFLOW_HOME", os.fspath(home))
    monkeypatch.delenv("DASKFLOW_RECORD", raising=False)
    run = squares.run(500, executor=LocalExecutor())
    assert run.is_completed
    path = os.fspath(home / "daskflow.db")
    child = writer_module._WRITERS.get(path)
    assert child is not None and child.alive and child._acked >= 1  # the run's end synced with a live child
    store = SQLiteStore(home / "daskflow.db")
    try:
        rows = store.list_task_runs(run.id)
        assert len(rows) == 500 and {r.state for r in rows} == {"Completed"}
    finally:
        store.close()
