"""The dashboard in a real headless Chromium (Debian's, driven by Playwright): what a user sees and clicks.

One ``daskflow dashboard`` process serves a seeded store for the whole module;
each test opens the printed URL (which swaps the token for the cookie) in a
fresh browser context. Pages run under the dashboard's strict CSP, so waits
are ``expect(locator)`` assertions, never ``wait_for_function``. The main
pages are screenshotted; with ``DASKFLOW_SCREENSHOTS=DIR`` the pictures are
kept in DIR (``DASKFLOW_SCREENSHOTS=docs`` refreshes the README's), otherwise
they go to the system's temporary directory, so a test run leaves the checkout as it was.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.critical import stored_critical_path
from tests.paths import REPO_ROOT
from tests.processes import dashboard, stop
from tests.views.dashboard.seed import PWNED, XSS_IMG, XSS_SCRIPT, XSS_URL, seed, seed_browser

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
#: The module's DASKFLOW_HOME and the ids of the runs seeded in it.
Home = tuple[Path, dict[str, str]]
#: Backstop for anything the page must show; a healthy page takes well under a second.
SHOWN = 30_000

LIVE_FLOWS = """
import time
from pathlib import Path
from orchestrator import flow, get_run_logger, task


@task
def fast(i: int) -> int:
    return i


@task
def gate(marker: str) -> None:
    get_run_logger().info("waiting for %s", marker)
    while not Path(marker).exists():
        time.sleep(0.05)


@flow
def gated(marker: str) -> None:
    firsts = fast.map(range(8))
    opened = gate(marker, wait_for=firsts)
    for i in range(8, 16):
        fast(i, wait_for=[opened])
"""


@pytest.fixture(scope="module")
def store_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    home = tmp_path_factory.mktemp("dashboard-home")
    seeded = seed(home / "daskflow.db")
    extra = seed_browser(home / "daskflow.db")
    yield home, {"done": seeded.done, "failed": seeded.failed, "slow": "slow0000bbbb", **extra}


@pytest.fixture(scope="module")
def env(store_home: Home) -> dict[str, str]:
    home, _ = store_home
    return {**os.environ, "DASKFLOW_HOME": str(home), "TERM": "dumb"}


@pytest.fixture(scope="module")
def served(env: dict[str, str], store_home: Home) -> Iterator[str]:
    """The URL (with its token) of a `daskflow dashboard --port 0` serving the module's store."""
    with dashboard(env, store_home[0]) as (_, url):
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"the browser tests need Debian's chromium at {CHROMIUM}: apt-get install chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, served: str) -> Iterator[Any]:
    """A fresh context that opened the dashboard's URL (so it holds the cookie); fails on script errors or dialogs."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on("dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
    opened.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
    opened.goto(served)
    opened.base = served.split("/?")[0]
    yield opened
    context.close()
    assert problems == []


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def shoot(page: Any, name: str) -> None:
    """Screenshot the whole page (which also proves it renders) as ``dashboard-NAME.png``."""
    kept = os.environ.get("DASKFLOW_SCREENSHOTS")
    folder = REPO_ROOT / kept if kept else Path(tempfile.gettempdir()) / "daskflow-dashboard-screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"dashboard-{name}.png"), full_page=True)


def test_the_runs_list_pages_counts_and_filters(page: Any) -> None:
    """Runs newest first, 50 a page with a cursor to older ones, counts per state, a click filters by state."""
    expect(page.locator("main[data-ready]")).to_be_visible(timeout=SHOWN)
    expect(page.locator("#runs-body tr")).to_have_count(50)
    expect(page.locator("#state-counts [data-state=all] b")).to_have_text("64")
    expect(page.locator("#state-counts [data-state=Failed] b")).to_have_text("2")
    expect(page.locator("#live-status")).to_have_text("live", timeout=SHOWN)
    shoot(page, "runs")
    page.click("#older")
    expect(page.locator("#runs-body tr")).to_have_count(14, timeout=SHOWN)
    expect(page.locator("#newer")).to_be_enabled()
    page.click("#state-counts [data-state=Failed]")
    expect(page.locator("#runs-body tr")).to_have_count(2, timeout=SHOWN)
    expect(page).to_have_url(re.compile(r"state=Failed"))


@pytest.mark.cluster
def test_the_demo_run_shows_its_gantt_per_worker_and_its_logs(page: Any, env: dict[str, str]) -> None:
    """`daskflow demo` prints its dashboard link; the page shows a lane per Dask worker, 1,001 bars and the logs."""
    demo = subprocess.run(
        [sys.executable, "-m", "orchestrator", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert demo.returncode == 0, demo.stderr
    link = demo.stdout.splitlines()[0]
    assert link.startswith(f"dashboard: {page.base}/runs/"), demo.stdout
    page.goto(link.removeprefix("dashboard: "))
    expect(page.locator("main[data-ready]")).to_be_visible(timeout=SHOWN)
    expect(page.locator("#run-header .badge")).to_have_text("Completed")
    canvas = page.locator("canvas.gantt")
    expect(canvas).to_have_attribute("data-bars", "1001", timeout=SHOWN)
    expect(canvas).to_have_attribute("data-lanes", re.compile(r"^[2-9]$"))
    expect(page.locator("#run-header a[target=_blank]")).to_have_attribute(
        "href", re.compile(r"^http://127\.0\.0\.1:\d+/status$")
    )
    expect(page.locator("#strip-body tr")).to_have_count(5)
    # Which chain is critical depends on the task times of this run (a slow read alone can outweigh a
    # whole chain of millisecond steps): the page must show the one the stored run gives.
    expected = len(stored_critical_path(Path(env["DASKFLOW_HOME"]) / "daskflow.db", link.rsplit("/", 1)[-1]).tasks)
    expect(page.locator("#critical-info")).to_contain_text(f"critical path: {expected} task runs", timeout=SHOWN)
    shoot(page, "run")
    page.click("#tab-logs")
    expect(page.locator("#log-count")).to_have_text("335 lines", timeout=SHOWN)
    shoot(page, "logs")
    # The load logs last, but lines from different workers are stored in the order their batches
    # arrived, which may put a few summarise lines after it: find it by the server's search.
    page.fill("#log-search", "loading 333 partition summaries")
    page.press("#log-search", "Enter")
    expect(page.locator("#log-viewport .log-line:visible")).to_have_count(1, timeout=SHOWN)
    expect(page.locator("#log-viewport .log-line:visible")).to_contain_text("loading 333 partition summaries")
    page.click("#tab-graph")
    expect(page.locator("#graph-mode")).to_have_text("1001 task runs", timeout=SHOWN)


def test_a_live_runs_gantt_grows_while_it_runs(page: Any, env: dict[str, str], tmp_path: Path) -> None:
    """A run still going is drawn as it goes: its bars appear as its tasks report, and it ends Completed."""
    flows = tmp_path / "live.py"
    flows.write_text(LIVE_FLOWS)
    marker = tmp_path / "open-the-gate"
    driver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "orchestrator",
            "run",
            f"{flows}:gated",
            "--param",
            f"marker={marker}",
            "--executor",
            "local",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert driver.stdout is not None
        link = driver.stdout.readline().strip().removeprefix("dashboard: ")
        page.goto(link)
        expect(page.locator("main[data-ready]")).to_be_visible(timeout=SHOWN)
        canvas = page.locator("canvas.gantt")
        # 8 finished, and the gate reporting Running (after half a second) while it waits.
        expect(canvas).to_have_attribute("data-bars", "9", timeout=SHOWN)
        expect(page.locator("#run-header .badge")).to_have_text("Running")
        expect(page.locator("#strip-body tr[data-task=gate] td").nth(3)).to_have_text("1")
        marker.touch()
        expect(canvas).to_have_attribute("data-bars", "17", timeout=SHOWN)
        expect(page.locator("#run-header .badge")).to_have_text("Completed", timeout=SHOWN)
        expect(page.locator("#strip-body tr[data-task=fast] td").nth(2)).to_have_text("16")
        driver.communicate(timeout=120)
    finally:
        stop(driver)
        driver.communicate()


def test_the_task_drawer_shows_a_failed_task_runs_traceback(page: Any, store_home: Home) -> None:
    """From the grouped errors, or a bar clicked on the timeline, the drawer shows the attempt and its traceback."""
    run = store_home[1]["failed"]
    page.goto(f"{page.base}/runs/{run}")
    expect(page.locator("main[data-ready]")).to_be_visible(timeout=SHOWN)
    page.click("#tab-errors")
    expect(page.locator("#error-groups tbody tr")).to_have_count(1, timeout=SHOWN)
    expect(page.locator("#error-groups td.count")).to_have_text("30")
    page.click("#error-groups button.link")
    expect(page.locator("#task-traceback")).to_contain_text("ValueError: cannot handle 0", timeout=SHOWN)
    expect(page.locator("#drawer-title")).to_contain_text("explode[0]")
    shoot(page, "task")
    # The seeded ETL run: lanes 127.0.0.1:40001 (one row) and :40002 (two); load[4] runs 4-5 s of 5.1 shown.
    page.goto(f"{page.base}/runs/{store_home[1]['done']}")
    expect(page.locator("canvas.gantt")).to_have_attribute("data-bars", "5", timeout=SHOWN)
    box = page.locator("canvas.gantt").bounding_box()
    page.mouse.click(box["x"] + 150 + (box["width"] - 150) * 4.5 / 5.1, box["y"] + 22 + 22 + 4 + 11)
    expect(page.locator("#drawer-title")).to_contain_text("load[4]", timeout=SHOWN)
    expect(page.locator("#task-drawer .links a")).to_have_count(2)
    expect(page.locator("#task-logs")).to_contain_text("disk nearly full")


def test_log_search_runs_on_the_server_and_jumps_to_the_first_error(page: Any, store_home: Home) -> None:
    """5,000 lines render only what is on screen; search filters on the server; the first error is found."""
    run = store_home[1]["chatty"]
    page.goto(f"{page.base}/runs/{run}/logs")
    expect(page.locator("#log-count")).to_have_text("5,000 lines", timeout=SHOWN)
    expect(page.locator("#log-viewport")).to_have_attribute("data-rendered", re.compile(r"^\d{1,2}$"))
    expect(page.locator("#log-viewport .log-line:visible").last).to_contain_text("line 4999 of the chatter")
    page.click("#first-error")
    expect(page.locator("#log-viewport .log-line.marked")).to_contain_text(
        "the flux capacitor overheated", timeout=SHOWN
    )
    page.fill("#log-search", "line 423")
    page.press("#log-search", "Enter")
    expect(page.locator("#log-count")).to_have_text("11 lines", timeout=SHOWN)
    expect(page.locator("#log-viewport .log-line:visible")).to_have_count(11)
    expect(page.locator("#download-filtered")).to_have_attribute("href", re.compile(r"logs\.txt\?.*q=line\+423"))
    expect(page.locator("#download-all")).to_have_attribute("href", f"/api/runs/{run}/logs.txt")


def test_compare_lines_up_two_runs_and_marks_regressions(page: Any, store_home: Home) -> None:
    """Picking two runs on the runs page and Compare shows their numbers, per-task deltas and aligned timelines."""
    runs = store_home[1]
    page.goto(f"{page.base}/?flow=etl")
    expect(page.locator("main[data-ready]")).to_be_visible(timeout=SHOWN)
    page.check(f"#runs-body tr[data-run={runs['done']}] input")
    page.check(f"#runs-body tr[data-run={runs['slow']}] input")
    page.click("#compare")
    expect(page.locator("main[data-ready]")).to_be_visible(timeout=SHOWN)
    expect(page.locator("#compare-runs tbody tr")).to_have_count(2)
    expect(page.locator("#compare-tasks td[data-verdict=regression]")).to_have_count(1)
    expect(page.locator("#compare-tasks td.regression")).to_contain_text("\u00d72.00")
    expect(page.locator("canvas.gantt")).to_have_count(2)
    shoot(page, "compare")


def test_xss_payloads_from_a_run_render_as_text(page: Any, store_home: Home) -> None:
    """<script>, <img onerror> and javascript: URLs in names, parameters, errors and logs show as text, inert."""
    run = store_home[1]["xss"]
    page.goto(f"{page.base}/?flow={XSS_SCRIPT}")
    expect(page.locator("#runs-body .flow-name")).to_have_text(XSS_SCRIPT, timeout=SHOWN)
    expect(page.locator("#runs-body .params")).to_contain_text(XSS_IMG)
    page.goto(f"{page.base}/runs/{run}")
    expect(page.locator("main[data-ready]")).to_be_visible(timeout=SHOWN)
    expect(page.locator("#run-flow")).to_have_text(XSS_SCRIPT)
    expect(page.locator("#run-message")).to_have_text(XSS_SCRIPT)
    expect(page.locator("#run-params")).to_contain_text(XSS_URL)
    expect(page.locator("#strip-body .task-name")).to_have_text(XSS_IMG)
    page.click("#tab-errors")
    page.click("#error-groups button.link")
    expect(page.locator("#task-traceback")).to_have_text(f"Traceback: {XSS_IMG}\n", timeout=SHOWN)
    expect(page.locator("#task-drawer .error-title")).to_have_text(f"ValueError: {XSS_SCRIPT}")
    page.click("#tab-logs")
    expect(page.locator("#log-viewport .log-line")).to_have_count(2, timeout=SHOWN)
    expect(page.locator("#log-viewport .log-line").first).to_contain_text(XSS_IMG)
    expect(page.locator("#log-viewport .log-line").last).to_contain_text(XSS_URL)
    # Nothing ran, nothing was parsed as markup, and no javascript: link exists (the Dask link was dropped).
    expect(page).to_have_title("daskflow dashboard")
    expect(page.locator("img")).to_have_count(0)
    expect(page.locator("script")).to_have_count(1)
    expect(page.locator("a[href^='javascript']")).to_have_count(0)
    assert PWNED in XSS_IMG


def test_a_resumed_runs_header_counts_its_persisted_cached_and_reused_results(page: Any, store_home: Home) -> None:
    """The header of a resumed run counts results apart and links the run it resumed."""
    from orchestrator.history.store import SQLiteStore

    home, runs = store_home
    run, old = "resumed00001", runs["failed"]
    stored = {"location": "file:///r/k", "checksum": "c" * 64, "size": 1, "created": 1.0, "expires": None}
    with SQLiteStore(home / "daskflow.db") as store:
        store.create_flow_run(run, "etl", {}, 2_000_000_000.0, state="Completed")
        store.results.record_origin(run, resumed_from=old)
        hits = [("a-0", "resume"), ("b-1", "cache"), ("c-2", None)]
        store.record_task_events(
            [
                {"run": run, "key": key, "task": key[0], "state": "Cached" if hit else "Completed", "ts": 2e9,
                 "result": {**stored, "key": f"k{key}"}, **({"hit": hit} if hit else {})}
                for key, hit in hits
            ]
        )  # fmt: skip
    page.goto(f"{page.base}/runs/{run}")
    expect(page.locator("main[data-ready]")).to_be_visible(timeout=SHOWN)
    expect(page.locator("#run-results")).to_have_text(f"1 persisted · 1 cache hits · 1 reused from {old}")
    expect(page.locator(f"#run-results a[href='/runs/{old}']")).to_have_count(1)
