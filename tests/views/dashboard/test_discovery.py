"""How `daskflow run` and notebook progress find a dashboard serving their store: advert files, never tokens."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from executors import LocalExecutor
from orchestrator.engine.run_engine import RunEngine
from orchestrator.records.states import StateType
from orchestrator.views.dashboard.discovery import advertise, find_dashboard, run_link, withdraw
from orchestrator.views.notebook import HtmlDisplay
from orchestrator.views.progress import Progress
from orchestrator.views.run_html import progress_html
from tests.processes import stop


def test_an_advert_names_the_dashboard_of_its_store_until_withdrawn(home: Path) -> None:
    """A live dashboard's advert gives the run link for its own store only, and withdrawing it ends that."""
    store = home / "daskflow.db"
    path = advertise("http://127.0.0.1:8789", store, read_only=False)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert "token" not in path.read_text()
    advert = find_dashboard()
    assert advert is not None and (advert.url, advert.pid) == ("http://127.0.0.1:8789", os.getpid())
    assert run_link("abc123") == "http://127.0.0.1:8789/runs/abc123"
    assert run_link("abc123", home / "other" / "daskflow.db") is None
    withdraw(path)
    assert find_dashboard() is None and run_link("abc123") is None


def test_an_advert_of_a_dead_or_recycled_process_is_ignored_and_removed(home: Path) -> None:
    """An advert whose pid is gone, or now a process younger than the advert, is deleted, not used."""
    directory = home / "dashboards"
    directory.mkdir()
    finished = subprocess.Popen(["true"])
    finished.wait()
    younger = subprocess.Popen(["sleep", "300"])
    try:
        for pid, started in ((finished.pid, time.time()), (younger.pid, time.time() - 3600)):
            body = {
                "url": f"http://127.0.0.1:{pid}",
                "store": str(home / "daskflow.db"),
                "pid": pid,
                "started": started,
            }
            (directory / f"{pid}.json").write_text(json.dumps(body))
        assert find_dashboard() is None
        assert list(directory.iterdir()) == []
    finally:
        stop(younger)


def test_notebook_progress_shows_the_run_link_when_a_dashboard_serves_the_store(home: Path) -> None:
    """The live notebook output links the run on the dashboard (text and HTML), escaped, without a token."""
    path = advertise("http://127.0.0.1:8789", home / "daskflow.db", read_only=True)
    engine = RunEngine("etl", {}, LocalExecutor())
    display = HtmlDisplay(Progress(engine))
    display.dashboard = None
    try:
        from orchestrator.views import notebook

        display.dashboard = notebook._dashboard_link(engine.run.id)
        bundle = display._render()
    finally:
        withdraw(path)
    link = f"http://127.0.0.1:8789/runs/{engine.run.id}"
    assert f'<a href="{link}" target="_blank" rel="noopener noreferrer">{link}</a>' in bundle["text/html"]
    assert bundle["text/plain"].endswith(f"dashboard: {link}")
    hostile = progress_html("f", "r", StateType.RUNNING, 1.0, [], dashboard='http://x/"><script>')
    assert "<script>" not in hostile and "&quot;&gt;&lt;script&gt;" in hostile
