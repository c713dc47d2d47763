"""``daskflow serve``, ``schedules ls`` and ``notifications ls`` as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestrator.history.store import SQLiteStore
from tests.cli_helpers import assert_usage_error

pytestmark = pytest.mark.slow

Daskflow = Callable[..., subprocess.CompletedProcess[str]]
BACKSTOP = 60.0

FLOWS = """
from executors import LocalExecutor
from orchestrator import flow


@flow(executor=LocalExecutor())
def hello(name: str = "world") -> str:
    return f"hello {name}"


@flow(executor=LocalExecutor())
def bye(count: int = 1) -> int:
    return count
"""

TOML = """
[defaults]
timezone = "Europe/Berlin"

[[schedule]]
flow = "cli_flows.py:hello"
interval = 1
parameters = { name = "toml" }

[[schedule]]
flow = "cli_flows.py:bye"
cron = "*/5 * * * *"
catchup = "latest"
"""


@pytest.fixture
def cli_flows(tmp_path: Path) -> Path:
    path = tmp_path / "cli_flows.py"
    path.write_text(FLOWS)
    return path


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ((), "pass --cron EXPR, --interval SECONDS or --rrule RULE"),
        (("--cron", "61 * * * *"), "cron '61 * * * *': Bad minute"),
        (("--cron", "* * *"), "expected five fields"),
        (("--interval", "0"), "interval is a number of seconds > 0"),
        (("--rrule", "BYHOUR=2"), "it has no FREQ="),
        (("--interval", "5", "--tz", "Mars/Olympus"), "timezone 'Mars/Olympus'"),
        (("--interval", "5", "--param", "nope=1"), "nope"),
        (("--interval", "5", "--max-active-runs", "0"), "max_active_runs"),
    ],
)
def test_bad_schedules_are_usage_errors(
    cli_flows: Path, daskflow: Daskflow, args: tuple[str, ...], needle: str
) -> None:
    """A schedule that cannot work exits 2 with one line naming the field, before anything is registered."""
    assert_usage_error(daskflow("serve", f"{cli_flows}:hello", *args), needle)


def test_a_toml_file_with_an_unknown_key_is_a_usage_error(tmp_path: Path, cli_flows: Path, daskflow: Daskflow) -> None:
    """The error names the file, the entry and the key."""
    path = tmp_path / "bad.toml"
    path.write_text('[[schedule]]\nflow = "cli_flows.py:hello"\ninterval = 1\nevery = 3\n')
    assert_usage_error(daskflow("serve", str(path)), "schedule #1: unknown key(s) every")


def test_serving_a_toml_file_runs_its_schedules_and_schedules_ls_shows_them(
    tmp_path: Path, home: Path, env: dict[str, str], cli_flows: Path, daskflow: Daskflow
) -> None:
    """Two flows from one file are served by one process; runs show their tick; schedules ls their next ones."""
    (tmp_path / "schedules.toml").write_text(TOML)
    server = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "serve", str(tmp_path / "schedules.toml")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + BACKSTOP
        while time.monotonic() < deadline:
            with SQLiteStore(home / "daskflow.db") as store:
                if len(store.list_flow_runs(state="Completed", limit=0)) >= 2:
                    break
            assert server.poll() is None
            time.sleep(0.1)
    finally:
        os.kill(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=BACKSTOP)
    assert server.returncode == 0, output
    assert "hello every 1 s, catchup all" in output
    assert "bye cron '*/5 * * * *' (Europe/Berlin), catchup latest" in output
    assert "Completed" in output

    listing = daskflow("schedules", "ls")
    assert listing.returncode == 0, listing.stderr
    assert "no daskflow serve process is active" in listing.stdout  # the clean stop released the lease
    lines = listing.stdout.splitlines()
    assert lines[1].split()[:2] == ["SCHEDULE", "FLOW"]
    (hello,) = [line for line in lines if " hello " in line]
    assert "every 1 s" in hello and hello.count(", ") >= 2  # three next ticks
    (bye,) = [line for line in lines if " bye " in line]
    assert "cron */5 * * * * (Europe/Berlin)" in bye

    runs = daskflow("runs", "ls", "--flow", "hello")
    assert runs.stdout.splitlines()[0].split()[-1] == "TICK"
    with SQLiteStore(home / "daskflow.db") as store:
        run = store.list_flow_runs(flow="hello", state="Completed")[0]
    shown = daskflow("runs", "show", run.run_id)
    assert f"schedule  {run.schedule_id}, tick" in shown.stdout
    assert "{'name': 'toml'}" in shown.stdout


def test_notifications_ls_on_an_empty_store_says_so(daskflow: Daskflow) -> None:
    """No notification yet: one line saying where it looked; a bad --status is a usage error."""
    listing = daskflow("notifications", "ls")
    assert listing.returncode == 0 and listing.stdout.startswith("no notifications recorded in ")
    assert_usage_error(daskflow("notifications", "ls", "--status", "lost"), "unknown status 'lost'")


def test_flow_serve_in_python_serves_until_sigterm(tmp_path: Path, home: Path, env: dict[str, str]) -> None:
    """``flow.serve(interval=1, parameters=...)`` in a script runs ticks until SIGTERM, then exits cleanly."""
    script = tmp_path / "serve_me.py"
    script.write_text(
        FLOWS + '\n\nif __name__ == "__main__":\n    hello.serve(interval=1, parameters={"name": "py"})\n'
    )
    server = subprocess.Popen([sys.executable, str(script)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + BACKSTOP
        while time.monotonic() < deadline and server.poll() is None:
            if (home / "daskflow.db").exists():
                with SQLiteStore(home / "daskflow.db") as store:
                    if store.list_flow_runs(state="Completed"):
                        break
            time.sleep(0.1)
    finally:
        os.kill(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=BACKSTOP)
    assert server.returncode == 0, output
    with SQLiteStore(home / "daskflow.db") as store:
        (row,) = store.schedules.all()
        run = store.list_flow_runs(state="Completed")[0]
    assert (row.flow_name, row.parameters, run.parameters, run.schedule_id) == (
        "hello",
        {"name": "py"},
        {"name": "py"},
        row.schedule_id,
    )
