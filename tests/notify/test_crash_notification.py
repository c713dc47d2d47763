"""A driver killed by SIGKILL mid-run gives exactly one Crashed message, sent by the process that reaps it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.notify.capture import CaptureServer
from tests.processes import wait_until_running

pytestmark = pytest.mark.slow

FLOWS = """
import threading
from executors import LocalExecutor
from orchestrator import Webhook, flow, task


@task
def block() -> None:
    threading.Event().wait()


@flow(executor=LocalExecutor(), notify=[Webhook(url_env="ONCALL_HOOK")])
def stuck() -> None:
    block()
"""


def test_a_sigkilled_driver_gives_exactly_one_crashed_message(
    home: Path,
    env: dict[str, str],
    tmp_path: Path,
    hook_server: CaptureServer,
    daskflow: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    """The reaping process sends the Crashed notification once; later processes and a forced delivery add none."""
    flows = tmp_path / "crash_flows.py"
    flows.write_text(FLOWS)
    driver = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "run", f"{flows}:stuck"],
        env={**env, "ONCALL_HOOK": hook_server.url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run_id = wait_until_running(home / "daskflow.db", driver).run_id
    finally:
        os.kill(driver.pid, signal.SIGKILL)
        driver.wait(30)
    assert hook_server.requests == []  # a killed driver sends nothing

    reaper = daskflow("runs", "ls", DASKFLOW_HEARTBEAT_GRACE="0.001", ONCALL_HOOK=hook_server.url)
    assert reaper.returncode == 0, reaper.stderr
    (line,) = [line for line in reaper.stdout.splitlines() if line.startswith(run_id)]
    assert line.split()[2] == "Crashed"
    for _ in range(2):  # other processes opening the store, and a forced delivery, send nothing more
        assert daskflow("runs", "ls", DASKFLOW_HEARTBEAT_GRACE="0.001", ONCALL_HOOK=hook_server.url).returncode == 0
    assert daskflow("notifications", "deliver", ONCALL_HOOK=hook_server.url).returncode == 0

    (message,) = hook_server.requests
    assert (message.body["run_id"], message.body["state"], message.body["flow"]) == (run_id, "Crashed", "stuck")
    assert "no longer exists (process check at store open)" in message.body["message"]  # crash detection at once
    listing = daskflow("notifications", "ls", "--attempts")
    assert listing.returncode == 0, listing.stderr
    assert f"stuck  {run_id}  Crashed  webhook $ONCALL_HOOK  delivered  1" in listing.stdout
    assert "secret-token-123" not in listing.stdout + reaper.stdout + reaper.stderr
