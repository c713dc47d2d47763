"""Fixtures for notebook tests: a real remote cluster, and a Jupyter kernel on this interpreter.

``remote`` starts a ``dask scheduler`` and two ``dask worker`` processes on
127.0.0.1 whose working directory holds nothing of ``examples/``, so the
notebook's ``nb_helpers`` module can only reach them by value. ``kernel_env``
is the environment for an ipykernel running this interpreter: it names the
scheduler in ``DASKFLOW_ADDRESS`` and a private ``DASKFLOW_HOME``. The
kernelspec ``daskflow-test`` is written to a temporary ``JUPYTER_PATH``, so no
kernel is installed anywhere.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.processes import DaskProcesses
from tests.views.notebook.remote import KERNEL, Remote


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Remote]:
    """A scheduler and two 1-thread workers, as processes in a directory without the notebook's helpers."""
    from distributed import Client

    workdir = tmp_path_factory.mktemp("workers")
    processes = DaskProcesses(workdir, workdir / "cluster.log")
    try:
        processes.start_cluster(workers=2)
        with Client(processes.address, timeout=60, set_as_default=False) as client:
            yield Remote(processes, client)
    finally:
        processes.close()


@pytest.fixture
def kernel_env(remote: Remote, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The kernel's environment (scheduler address, private store); registers the test kernelspec."""
    spec = tmp_path / "jupyter" / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "DASKFLOW_ADDRESS": remote.address, "DASKFLOW_HOME": str(home)}
    for name in ("DASKFLOW_RECORD", "DASKFLOW_PROGRESS", "DASK_SCHEDULER_ADDRESS", "PYTHONPATH"):
        env.pop(name, None)
    return env
