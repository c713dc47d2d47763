"""Shared fixtures: the executors every conformance test runs against, and the CLI as a subprocess.

``executor`` is parametrised over LocalExecutor (synchronous and threaded)
and DaskExecutor on one real ``LocalCluster`` (2 worker processes, bound to
127.0.0.1) shared by the whole session, because starting a cluster costs
seconds on a 2-core machine.

``home`` gives a test its own ``DASKFLOW_HOME`` under ``tmp_path``, so its
store is a real SQLite file nobody else writes; ``daskflow`` runs ``python -m
orchestrator`` in a subprocess with that home, without a TTY, and
``flows_file`` is a file of small flows for it to run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from executors import Executor, LocalExecutor


def pytest_configure(config: pytest.Config) -> None:
    # Every flow run records to $DASKFLOW_HOME/daskflow.db: keep the suite's runs
    # out of the developer's ~/.daskflow (tests needing their own store set it per test).
    home = tempfile.mkdtemp(prefix="daskflow-tests-")
    config.stash[_HOME] = (home, os.environ.get("DASKFLOW_HOME"))
    os.environ["DASKFLOW_HOME"] = home


def pytest_unconfigure(config: pytest.Config) -> None:
    home, previous = config.stash[_HOME]
    if previous is None:
        os.environ.pop("DASKFLOW_HOME", None)
    else:
        os.environ["DASKFLOW_HOME"] = previous
    shutil.rmtree(home, ignore_errors=True)


_HOME = pytest.StashKey[tuple[str, "str | None"]]()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh DASKFLOW_HOME under tmp_path for this test; its store is home/daskflow.db."""
    path = tmp_path / "home"
    path.mkdir()
    monkeypatch.setenv("DASKFLOW_HOME", str(path))
    monkeypatch.delenv("DASKFLOW_RECORD", raising=False)
    return path


@pytest.fixture(scope="session")
def local_cluster() -> Iterator[Any]:
    """A real 2-worker LocalCluster on 127.0.0.1, shared by the session."""
    from distributed import LocalCluster

    cluster = LocalCluster(
        n_workers=2,
        threads_per_worker=2,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        processes=True,
    )
    yield cluster
    cluster.close()


@pytest.fixture(scope="session")
def dask_executor(local_cluster: Any) -> Iterator[Executor]:
    from executors import DaskExecutor

    executor = DaskExecutor(cluster=local_cluster)
    executor.start()
    yield executor
    executor.client.close()


@pytest.fixture(params=["local-sync", "local-threads", pytest.param("dask", marks=pytest.mark.cluster)])
def executor(request: pytest.FixtureRequest) -> Executor:
    """Each executor of the conformance suite in turn."""
    if request.param == "local-sync":
        return LocalExecutor()
    if request.param == "local-threads":
        return LocalExecutor(threads=4)
    return request.getfixturevalue("dask_executor")  # type: ignore[no-any-return]


#: Backstop for any one CLI subprocess; a healthy one takes a few seconds.
CLI_TIMEOUT = 180


@pytest.fixture
def env(home: Path) -> dict[str, str]:
    """The environment for daskflow subprocesses: this test's home, and no terminal."""
    env = {**os.environ, "DASKFLOW_HOME": str(home), "TERM": "dumb"}
    env.pop("DASKFLOW_RECORD", None)
    return env


@pytest.fixture
def daskflow(env: dict[str, str], tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run ``python -m orchestrator ARGS`` (keywords add environment variables); returns the finished process."""

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "orchestrator", *args],
            cwd=tmp_path,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )

    return run


FLOWS = """
import threading
import time
from orchestrator import flow, get_run_logger, task


@task
def square(x: int) -> int:
    get_run_logger().info("squaring %d", x)
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def explode(x: int) -> int:
    raise ValueError(f"cannot handle {x}")


@task
def block(marker: str) -> None:
    get_run_logger().info("blocking")
    threading.Event().wait()


@flow
def squares(n: int = 3, label: str = "sq") -> int:
    get_run_logger().info("flow %s with n=%d", label, n)
    return total(square.map(range(n)))


@flow
def broken(n: int = 2) -> list[int]:
    return explode.map(range(n))


@flow
def stuck(marker: str = "m") -> None:
    block(marker)
"""


@pytest.fixture
def flows_file(tmp_path: Path) -> Path:
    """A file of small flows: squares (completes), broken (fails), stuck (blocks forever)."""
    path = tmp_path / "flows.py"
    path.write_text(FLOWS)
    return path
