"""Fixtures for the multi-host tests: a fresh network of namespaces and a Dask cluster on it, per test.

Every test here is marked ``multihost`` (and ``cluster``, ``slow``) and is
skipped, saying why, where this machine cannot create network namespaces
(not root, no iproute2, no netns support); under CI (``CI`` set), which runs
as root, that is a failure instead, so a green CI means they ran. The
network and every process on it are torn down by PID and namespace name in
the fixture's finalizer, even when the test fails; namespaces left by an
earlier run whose test process died are removed first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .cluster import HOSTS, MultiHostCluster
from .netns import Network, cleanup_stale, namespaces_unavailable

_UNAVAILABLE: list[str | None] = []


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.multihost)
            item.add_marker(pytest.mark.cluster)
            item.add_marker(pytest.mark.slow)


def _unavailable() -> str | None:
    if not _UNAVAILABLE:
        _UNAVAILABLE.append(namespaces_unavailable())
    return _UNAVAILABLE[0]


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Network]:
    """The five hosts on one bridge (not yet running anything); removed afterwards."""
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI"):  # CI runs as root: a skip there would hide that these never ran
            pytest.fail(f"CI must run the multi-host tests, but {reason}")
        pytest.skip(reason)
    cleanup_stale()
    logs = tmp_path / "logs"
    logs.mkdir()
    net = Network(HOSTS, logs)
    net.create()
    try:
        yield net
    finally:
        net.destroy()


@pytest.fixture
def multihost(network: Network, tmp_path: Path, home: Path) -> Iterator[MultiHostCluster]:
    """A scheduler host and three worker hosts running Dask, and an idle driver host; stopped afterwards."""
    work = tmp_path / "work"
    work.mkdir()
    cluster = MultiHostCluster(network, work, home)
    try:
        yield cluster
    finally:
        (work / "release").touch()
        cluster.close()
