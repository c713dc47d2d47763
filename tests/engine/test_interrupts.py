"""Cancelling a run stops its task bodies where they run (orchestrator.interrupts), here on local threads.

The remote case, a kernel interrupt against real worker processes, is in
tests/notebook/test_remote_notebook.py.
"""

from __future__ import annotations

import _thread
import signal
import threading
import time
import uuid
from pathlib import Path

import pytest

from executors import LocalExecutor
from orchestrator import TaskInterrupted, flow, task
from orchestrator.history.store import SQLiteStore
from orchestrator.worker import interrupts

#: Backstop for a body to notice its interrupt; it takes one short wait.
NOTICE_WITHIN = 30


def test_interrupt_run_raises_in_the_registered_body_only() -> None:
    """interrupt_run raises TaskInterrupted in the thread running that run's body, not in another run's."""
    started = threading.Barrier(3)
    outcome: dict[str, str] = {}

    def body(run_id: str) -> None:
        interrupts.begin(run_id)
        try:
            started.wait()
            deadline = time.monotonic() + NOTICE_WITHIN
            while time.monotonic() < deadline and run_id not in outcome:
                time.sleep(0.01)
            outcome.setdefault(run_id, "ran to the end")
        except TaskInterrupted:
            outcome[run_id] = "interrupted"
        finally:
            interrupts.end()

    # Fresh ids: interrupts remembers cancelled runs for the rest of the process.
    cancel_me, keep_me = f"cancel-{uuid.uuid4().hex}", f"keep-{uuid.uuid4().hex}"
    threads = [threading.Thread(target=body, args=(run_id,)) for run_id in (cancel_me, keep_me)]
    for thread in threads:
        thread.start()
    started.wait()
    assert interrupts.interrupt_run(cancel_me) == 1
    threads[0].join(NOTICE_WITHIN)
    outcome.setdefault(keep_me, "still running")
    threads[1].join(NOTICE_WITHIN)
    assert outcome == {cancel_me: "interrupted", keep_me: "still running"}
    with pytest.raises(TaskInterrupted):  # a later attempt of the cancelled run stops at once
        interrupts.begin(cancel_me)


def test_keyboard_interrupt_cancels_the_run_and_stops_its_running_bodies(tmp_path: Path, home: Path) -> None:
    """KeyboardInterrupt mid-run on threads: bodies get TaskInterrupted, all is Cancelled, the executor works on."""
    executor = LocalExecutor(threads=2)

    @task
    def spin(i: int, folder: str) -> int:
        Path(folder, f"started-{i}").touch()
        give_up = time.monotonic() + 4 * NOTICE_WITHIN  # a backstop: a body never interrupted must still end
        try:
            while time.monotonic() < give_up:
                time.sleep(0.01)
            return i
        except TaskInterrupted:
            Path(folder, f"interrupted-{i}").touch()
            raise

    @task
    def add(values: list[int]) -> int:
        return sum(values)

    @flow(executor=executor)
    def spinning(folder: str) -> int:
        return add([spin(i, folder) for i in range(3)])

    def interrupt_when_started() -> None:
        deadline = time.monotonic() + NOTICE_WITHIN
        while len(list(tmp_path.glob("started-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        _thread.interrupt_main()

    # interrupt_main() does nothing where SIGINT is ignored (a test run started in the background with `&`).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        threading.Thread(target=interrupt_when_started, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            spinning(str(tmp_path))
    finally:
        signal.signal(signal.SIGINT, previous)

    deadline = time.monotonic() + NOTICE_WITHIN
    while len(list(tmp_path.glob("interrupted-*"))) < 2:
        assert time.monotonic() < deadline, "the running bodies were not interrupted"
        time.sleep(0.01)
    assert not (tmp_path / "started-2").exists()  # queued behind the two running ones, and cancelled
    with SQLiteStore(home / "daskflow.db") as store:
        (run,) = store.list_flow_runs(flow="spinning")
        assert run.state == "Cancelled"
        assert {t.state for t in store.list_task_runs(run.run_id)} == {"Cancelled"}

    @flow(executor=executor)
    def after() -> int:
        return add([1, 2])

    assert after() == 3
