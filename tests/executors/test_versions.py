"""The version check on first connect: one ``VersionMismatchWarning`` naming each package that differs.

The cluster test starts a real worker process whose environment reports other
versions: a directory on its ``PYTHONPATH`` holds ``daskflow-9.9.9`` and
``cloudpickle-0.0.1`` distribution metadata, and a ``--preload`` script sets
the loaded ``cloudpickle.__version__`` to match, as a worker with that older
cloudpickle installed would.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from executors import DaskExecutor, VersionMismatchWarning, dask_cluster
from executors.versions import mismatch_lines, mismatch_message, package_versions
from tests.processes import DaskProcesses

HERE = {"python": "3.11.7", "dask": "2026.8.0", "distributed": "2026.8.0", "cloudpickle": "3.1.2", "daskflow": "0.1.0"}


def test_same_versions_everywhere_give_no_mismatch() -> None:
    """Identical versions on the scheduler and every worker report nothing."""
    assert mismatch_lines(HERE, {"scheduler": HERE, "tcp://w1": HERE, "tcp://w2": HERE}) == []


def test_each_differing_package_is_named_with_its_versions_and_places() -> None:
    """A line per package that differs: this client's version, the others', and where they run."""
    old = {**HERE, "cloudpickle": "3.0.0"}
    lines = mismatch_lines(HERE, {"scheduler": {**HERE, "python": "3.10.2"}, "tcp://w1": old, "tcp://w2": HERE})
    assert lines == [
        "python: 3.11.7 here, 3.10.2 on the scheduler",
        "cloudpickle: 3.1.2 here, 3.0.0 on 1 of 2 worker(s) (tcp://w1)",
    ]
    message = mismatch_message("tcp://h:8786", lines)
    assert message.startswith("the Dask cluster at tcp://h:8786 runs other package versions than this client:")
    assert "install the same versions" in message


def test_a_process_without_daskflow_counts_as_a_daskflow_mismatch() -> None:
    """A worker that could not run the check (daskflow missing there) is reported, not raised."""
    lines = mismatch_lines(HERE, {"scheduler": HERE, "tcp://w1": ModuleNotFoundError("No module named 'executors'")})
    assert lines[-1].startswith("daskflow: 0.1.0 here, unknown (ModuleNotFoundError: No module named 'executors')")


def test_package_versions_names_the_five_packages() -> None:
    """This process reports python, dask, distributed, cloudpickle and daskflow."""
    import cloudpickle

    versions = package_versions()
    assert list(versions) == ["python", "dask", "distributed", "cloudpickle", "daskflow"]
    assert versions["cloudpickle"] == cloudpickle.__version__


@pytest.fixture
def mismatched_cluster(tmp_path: Path) -> Iterator[str]:
    """A scheduler, one ordinary worker and one whose environment reports daskflow 9.9.9 and cloudpickle 0.0.1."""
    from distributed import Client
    from distributed.versions import VersionMismatchWarning as DaskVersionMismatch

    shim = tmp_path / "shim"
    for name, version in (("daskflow", "9.9.9"), ("cloudpickle", "0.0.1")):
        info = shim / f"{name}-{version}.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    preload = tmp_path / "old_cloudpickle.py"
    preload.write_text('import cloudpickle\n\ncloudpickle.__version__ = "0.0.1"\n')
    processes = DaskProcesses(tmp_path, tmp_path / "cluster.log")
    try:
        processes.start_scheduler()
        processes.start_worker("plain")
        processes.start_worker("old", extra=["--preload", str(preload)], env={"PYTHONPATH": str(shim)})
        with warnings.catch_warnings():
            # Dask's own check sees the fake cloudpickle metadata; this client only waits for the workers.
            warnings.simplefilter("ignore", DaskVersionMismatch)
            with Client(processes.address, timeout=60, set_as_default=False) as client:
                client.wait_for_workers(2, timeout=120)
        yield processes.address
    finally:
        processes.close()


@pytest.mark.cluster
def test_first_connect_to_a_mismatched_cluster_warns_once(mismatched_cluster: str) -> None:
    """Connecting warns once, naming daskflow and cloudpickle with both versions; Dask's own warning is not added."""
    with pytest.warns(VersionMismatchWarning) as caught:
        DaskExecutor(address=mismatched_cluster, connect_timeout=60).start()
    assert len(caught) == 1, [str(w.message) for w in caught]
    message = str(caught[0].message)
    ours = package_versions()
    assert f"the Dask cluster at {mismatched_cluster} runs other package versions" in message
    assert f"cloudpickle: {ours['cloudpickle']} here, 0.0.1 on 1 of 2 worker(s)" in message
    assert f"daskflow: {ours['daskflow']} here, 9.9.9 on 1 of 2 worker(s)" in message
    assert "python:" not in message and "dask:" not in message and "distributed:" not in message

    # A new connection to the same address (not the cached client) does not warn again.
    dask_cluster.close_clients(mismatched_cluster)
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        executor = DaskExecutor(address=mismatched_cluster, connect_timeout=60)
        executor.start()
    assert again == []
    executor.client.close()
