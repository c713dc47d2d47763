"""Store faults: a damaged file, a store another writer keeps locked for 30 s, a full disk.

Each uses a real SQLite file and real processes: the CLI and flow runs in
subprocesses, a second process holding the write lock, and a small tmpfs
(mounted as root, unmounted afterwards) that fills up.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrator.history.store import SQLiteStore, StoreDamaged

pytestmark = pytest.mark.slow

Daskflow = Callable[..., subprocess.CompletedProcess[str]]

MANY = """
from orchestrator import flow, get_run_logger, task


@task
def noted(i: int) -> int:
    get_run_logger().info("item %d of a run whose store is under stress", i)
    return i


@task
def add(values: list[int]) -> int:
    return sum(values)


@flow
def many(n: int = 2000) -> int:
    return add(noted.map(range(n)))
"""


@pytest.fixture
def many_file(tmp_path: Path) -> Path:
    path = tmp_path / "many.py"
    path.write_text(MANY)
    return path


def _seed(db: Path) -> None:
    with SQLiteStore(db) as store:
        for i in range(3):
            store.create_flow_run(f"run-{i}", "etl", {"i": i}, 1_700_000_000.0 + i)
            store.set_flow_run_state(f"run-{i}", "Completed", 1_700_000_010.0 + i)


@pytest.mark.parametrize("damage", ["truncated", "overwritten"])
def test_a_damaged_store_gives_one_clear_error_and_is_left_as_it_was(
    damage: str, home: Path, daskflow: Daskflow, flows_file: Path
) -> None:
    """A truncated or overwritten store file: runs ls exits 1 with one line naming the file and what to do."""
    db = home / "daskflow.db"
    _seed(db)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    raw = db.read_bytes()
    db.write_bytes(raw[: len(raw) // 3] if damage == "truncated" else raw[:100] + b"\x5a" * (len(raw) - 100))
    (home / "keep.txt").write_text("unrelated data beside the store")
    damaged = db.read_bytes()

    listing = daskflow("runs", "ls")
    assert listing.returncode == 1
    (line,) = listing.stderr.strip().splitlines()
    assert str(db) in line and "is damaged" in line and "Move it aside" in line and ".recover" in line

    # A flow still runs, says its run is not recorded, and nothing on disk was touched.
    ran = daskflow("run", f"{flows_file}:squares", "--executor", "local")
    assert ran.returncode == 0, ran.stderr
    assert "result: 5" in ran.stdout
    assert "did not record flow run" in ran.stderr and "is damaged" in ran.stderr
    assert db.read_bytes() == damaged
    assert (home / "keep.txt").read_text() == "unrelated data beside the store"
    with pytest.raises(StoreDamaged, match="is damaged"):
        SQLiteStore(db).list_flow_runs()


HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def test_a_store_locked_by_another_writer_for_30_s_slows_writes_but_loses_none(
    home: Path, env: dict[str, str], many_file: Path
) -> None:
    """Another process holds the write lock for 30 s mid-run: the run ends later, with every task run and log."""
    db = home / "daskflow.db"
    _seed(db)
    n = 2000
    driver = subprocess.Popen(
        [sys.executable, "-m", "orchestrator", "run", f"{many_file}:many", "--param", f"n={n}", "--executor", "local"],
        env={**env, "DASKFLOW_HEARTBEAT_INTERVAL": "0.5"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_a_running_run(db, driver)
        locker = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db), "30"], stdout=subprocess.PIPE, text=True)
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        locked_at = time.monotonic()
        out, err = driver.communicate(timeout=300)
        locker.communicate(timeout=60)
        assert locker.returncode == 0
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.communicate()
    assert driver.returncode == 0, err
    assert f"result: {sum(range(n))}" in out
    assert time.monotonic() - locked_at >= 29  # the run's last writes waited for the lock
    assert "did not record" not in err
    with SQLiteStore(db) as store:
        (run,) = store.list_flow_runs(flow="many")
        assert run.state == "Completed"
        assert store.task_state_counts(run.run_id) == {"Completed": n + 1}
        assert len(store.get_logs(run.run_id, task="noted")) == n


def _wait_for_a_running_run(db: Path, driver: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert driver.poll() is None, driver.communicate()
        if db.exists():
            with SQLiteStore(db) as store:
                if store.list_flow_runs(state="Running"):
                    return
        time.sleep(0.01)
    raise AssertionError("the flow run never showed up as Running")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs mounted for this test (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill up needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_fails_recording_loudly_but_not_the_run(
    small_disk: Path, env: dict[str, str], many_file: Path, tmp_path: Path
) -> None:
    """The store's disk fills up mid-run: the run completes with its value, and stderr says what was not recorded."""
    home = small_disk / "home"
    home.mkdir()
    db = home / "daskflow.db"
    _seed(db)
    filler = small_disk / "filler"
    with filler.open("wb") as out:  # leave about 64 KiB: the run starts recording, then the disk is full
        free = os.statvfs(small_disk)
        out.write(b"\0" * max(free.f_bavail * free.f_frsize - 64 * 1024, 0))
    done = subprocess.run(
        [sys.executable, "-m", "orchestrator", "run", f"{many_file}:many", "--param", "n=2000", "--executor", "local"],
        env={**env, "DASKFLOW_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert f"result: {sum(range(2000))}" in done.stdout
    assert "is full" in done.stderr and str(db) in done.stderr
    assert "did not record flow run" in done.stderr
    filler.unlink()
    with SQLiteStore(db) as store:  # the store stays readable, and its earlier runs are intact
        runs = {r.run_id: r.state for r in store.list_flow_runs(limit=0)}
        assert {f"run-{i}" for i in range(3)} <= set(runs)
        assert all(runs[f"run-{i}"] == "Completed" for i in range(3))
