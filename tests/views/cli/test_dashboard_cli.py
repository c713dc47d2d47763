"""``daskflow dashboard`` as a user starts it: the URL comes first, it serves, it stops cleanly; `run` links to it."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.cli_helpers import assert_usage_error
from tests.processes import dashboard as serving_dashboard

pytestmark = pytest.mark.slow

Cli = Callable[..., subprocess.CompletedProcess[str]]
#: Backstop for the dashboard to stop after SIGTERM; it takes well under a second.
STOPPED = 60
URL = re.compile(r"^http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)$")


@pytest.fixture
def dashboard(env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`daskflow dashboard --port 0` on this test's home, and the first line it printed."""
    with serving_dashboard(env, tmp_path) as served:
        yield served


def test_the_first_line_is_the_url_with_its_token_and_it_serves(
    dashboard: tuple[subprocess.Popen[str], str], home: Path
) -> None:
    """--port 0 picks a free port, printed in the URL; the token opens the API; SIGTERM stops it and its advert."""
    process, first = dashboard
    found = URL.match(first)
    assert found is not None, first
    port, token = int(found.group(1)), found.group(2)
    assert port > 0
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/runs", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.load(response)["runs"] == []
    (advert,) = (home / "dashboards").glob("*.json")
    assert json.loads(advert.read_text())["url"] == f"http://127.0.0.1:{port}"
    process.send_signal(signal.SIGTERM)
    assert process.wait(STOPPED) == 0
    assert not advert.exists()


def test_run_prints_the_runs_dashboard_link_when_one_serves_the_store(
    dashboard: tuple[subprocess.Popen[str], str], daskflow: Cli, flows_file: Path
) -> None:
    """With a dashboard on the same store, `daskflow run` prints the run's page (no token) as it starts and ends."""
    _, first = dashboard
    port = URL.match(first).group(1)  # type: ignore[union-attr]
    result = daskflow("run", f"{flows_file}:squares", "--executor", "local")
    assert result.returncode == 0, result.stderr
    run_id = re.search(r"^flow run ([0-9a-f]{12}) of ", result.stdout, re.MULTILINE).group(1)  # type: ignore[union-attr]
    link = f"dashboard: http://127.0.0.1:{port}/runs/{run_id}"
    lines = result.stdout.splitlines()
    assert lines[0] == link and lines.count(link) == 2 and lines[-1] == "result: 5"
    assert "token" not in result.stdout


def test_without_a_dashboard_run_prints_no_link(daskflow: Cli, flows_file: Path) -> None:
    """No dashboard serving the store: no dashboard line."""
    result = daskflow("run", f"{flows_file}:squares", "--executor", "local")
    assert result.returncode == 0 and "dashboard:" not in result.stdout


def test_a_busy_port_or_a_bad_one_is_a_usage_error(daskflow: Cli) -> None:
    """A port in use, or not a port, is one line on stderr and exit code 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert_usage_error(daskflow("dashboard", "--port", str(port)), f"port {port} on 127.0.0.1 is in use")
    assert_usage_error(daskflow("dashboard", "--port", "http"), "bad --port 'http'")
