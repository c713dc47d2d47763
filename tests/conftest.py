"""Shared fixtures: the executors every conformance test runs against.

``executor`` is parametrised over LocalExecutor (synchronous and threaded)
and DaskExecutor on one real ``LocalCluster`` (2 worker processes, bound to
127.0.0.1) shared by the whole session, because starting a cluster costs
seconds on a 2-core machine.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
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
        n_workers=2, threads_per_worker=2, host="127.0.0.1", dashboard_address="127.0.0.1:0",
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
