"""The ways to name a remote scheduler, and reusing the connection, against a real ``dask scheduler`` process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from executors import DaskExecutor
from tests.processes import DaskProcesses

pytestmark = pytest.mark.cluster


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A scheduler and one worker as processes on 127.0.0.1, stopped by PID afterwards."""
    workdir = tmp_path_factory.mktemp("cluster")
    processes = DaskProcesses(workdir, workdir / "cluster.log")
    try:
        processes.start_cluster(workers=1)
        yield processes.address
    finally:
        processes.close()


def test_address_argument_connects_and_a_new_executor_reuses_the_client(address: str) -> None:
    """DaskExecutor(address=...) connects there; another executor for that address gets the same open client."""
    first = DaskExecutor(address=address, connect_timeout=60)
    first.client.wait_for_workers(1, timeout=120)
    again = DaskExecutor(address=address, connect_timeout=60)
    assert again.client is first.client and first.client.status == "running"
    assert first.client.scheduler.address == address


def test_daskflow_address_variable_is_used_without_an_address(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without address=, DASKFLOW_ADDRESS names the scheduler."""
    monkeypatch.setenv("DASKFLOW_ADDRESS", address)
    assert DaskExecutor(connect_timeout=60).client.scheduler.address == address


def test_dask_config_scheduler_address_is_used_last(address: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without address= or DASKFLOW_ADDRESS, Dask's own scheduler-address config names the scheduler."""
    import dask

    monkeypatch.delenv("DASKFLOW_ADDRESS", raising=False)
    with dask.config.set({"scheduler-address": address}):
        assert DaskExecutor(connect_timeout=60).client.scheduler.address == address


def test_dask_scheduler_address_variable_is_honoured(address: str, tmp_path: Path) -> None:
    """DASK_SCHEDULER_ADDRESS (read by Dask's config at import) names the scheduler in a fresh process."""
    code = "from executors import DaskExecutor; print(DaskExecutor(connect_timeout=60).client.scheduler.address)"
    env = {**os.environ, "DASK_SCHEDULER_ADDRESS": address}
    env.pop("DASKFLOW_ADDRESS", None)
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=True
    )
    assert result.stdout.strip() == address
