"""``examples/remote_notebook.ipynb`` on a real ipykernel against real ``dask scheduler`` / ``dask worker`` processes.

The workers run in a directory without ``examples/``, so the notebook's tasks,
its class and helper function, and its helper module ``nb_helpers`` reach them
only by value. Every process is stopped by its PID (the kernel by its manager).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.history.store import SQLiteStore
from tests.paths import EXAMPLES
from tests.views.notebook.remote import KERNEL, Remote

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

NOTEBOOK = EXAMPLES / "remote_notebook.ipynb"
#: Backstop for one cell; a healthy one takes a second or two.
CELL_TIMEOUT = 180
EXPECTED = "\n".join(
    [
        "east: n=20 mean=8.35 spread=16.0",
        "north: n=20 mean=8.3 spread=16.0",
        "south: n=20 mean=8.0 spread=16.0",
        "west: n=20 mean=7.95 spread=16.0",
    ]
)


def _outputs(cell: Any) -> list[Any]:
    return list(cell.get("outputs", []))


def _html(cell: Any) -> str:
    return "".join(str(out.get("data", {}).get("text/html", "")) for out in _outputs(cell))


def _text(cell: Any) -> str:
    parts = [str(out.get("text", "")) for out in _outputs(cell) if out.get("output_type") == "stream"]
    parts += [str(out.get("data", {}).get("text/plain", "")) for out in _outputs(cell)]
    return "".join(parts)


def test_helper_module_is_not_importable_on_the_workers(remote: Remote) -> None:
    """The workers cannot import nb_helpers: whatever reaches them in the notebook test came by value."""
    found = remote.client.run(lambda: __import__("importlib.util").util.find_spec("nb_helpers") is not None)
    assert found and not any(found.values())


def test_notebook_runs_on_the_remote_cluster_with_inline_progress(remote: Remote, kernel_env: dict[str, str]) -> None:
    """The example notebook executes on a real kernel: results, live HTML progress, run table, inline SVG, logs."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT, kernel_name=KERNEL, resources={"metadata": {"path": str(EXAMPLES)}}
    )
    client.execute(env=kernel_env)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    connect, _define, printed, returned, drawn, naps = code

    assert remote.address in _html(connect) + _text(connect)  # the Client's own repr: connected there
    assert EXPECTED in _text(printed)
    progress = _html(printed)
    assert 'class="daskflow-progress"' in progress and "Completed" in progress
    assert "loading north" in progress  # task log lines, from the workers, under the table
    table = _html(returned)
    assert 'class="daskflow-flow-run"' in table and "summarise" in table and "Completed" in table
    assert "<svg" in _html(drawn) or any("image/svg+xml" in out.get("data", {}) for out in _outputs(drawn))
    assert "[0, 1, 2, 3]" in _text(naps)
    everything = "".join(_text(cell) + _html(cell) for cell in code)
    assert "Traceback" not in everything and "VersionMismatchWarning" not in everything

    workers = set(remote.client.scheduler_info()["workers"])
    with SQLiteStore(Path(kernel_env["DASKFLOW_HOME"]) / "daskflow.db") as store:
        (run,) = [r for r in store.list_flow_runs(flow="sensors") if r.parameters == {"names": ["north", "south"]}]
        assert run.state == "Completed"
        tasks = {t.key: t for t in store.list_task_runs(run.run_id)}
        assert {t.state for t in tasks.values()} == {"Completed"} and len(tasks) == 5
        assert {t.worker for t in tasks.values()} <= workers
        logs = [log for log in store.get_logs(run.run_id) if log.key is not None]
        assert sorted(log.message for log in logs) == ["loading north", "loading south"]
        assert all(tasks[log.key].worker in workers for log in logs)


@pytest.fixture
def kernel(kernel_env: dict[str, str]) -> Iterator[Any]:
    """A running ipykernel in examples/, with the notebook's set-up cells executed; shut down afterwards."""
    from jupyter_client.manager import KernelManager

    manager = KernelManager(kernel_name=KERNEL)
    manager.start_kernel(env=kernel_env, cwd=str(EXAMPLES))
    client = manager.client()
    client.start_channels()
    try:
        client.wait_for_ready(timeout=CELL_TIMEOUT)
        cells = _code_cells()
        naps = cells[-1].rsplit("\n\n\n", 1)[0]  # the definitions, not the call
        for source in (cells[0], cells[1], naps):
            reply = _run(client, source)
            assert reply["content"]["status"] == "ok", reply["content"]
        yield manager, client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def _code_cells() -> list[str]:
    import nbformat

    return [cell.source for cell in nbformat.read(NOTEBOOK, as_version=4).cells if cell.cell_type == "code"]


def _run(client: Any, source: str) -> Any:
    return client.execute_interactive(source, timeout=CELL_TIMEOUT, output_hook=lambda msg: None)


def test_interrupting_the_kernel_cancels_the_run_on_the_cluster(
    remote: Remote, kernel: Any, kernel_env: dict[str, str]
) -> None:
    """KeyboardInterrupt mid-run: run and unfinished task runs Cancelled, nothing left on the cluster, kernel usable."""
    manager, client = kernel
    store_path = Path(kernel_env["DASKFLOW_HOME"]) / "daskflow.db"
    client_id = _value(client, "executor.client.id")
    msg_id = client.execute("naps(n=6, seconds=600)")
    # One nap runs on each 1-thread worker, four wait their turn; the inline progress says so live.
    live = "of 'naps': Running, 0/6 task runs finished, 2 running"
    deadline = time.monotonic() + CELL_TIMEOUT
    while live not in _next_progress_update(client):
        assert time.monotonic() < deadline, "the progress output never showed the two naps running"
    assert remote.executing() == 2

    manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=CELL_TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=CELL_TIMEOUT)
    assert reply["content"]["status"] == "error" and reply["content"]["ename"] == "KeyboardInterrupt"

    deadline = time.monotonic() + 60
    while remote.processing() or remote.executing():
        assert time.monotonic() < deadline, f"still on the cluster: {remote.client.processing()}"
        time.sleep(0.1)
    with SQLiteStore(store_path) as store:
        (run,) = store.list_flow_runs(flow="naps")
        assert run.state == "Cancelled" and "KeyboardInterrupt" in (run.message or "")
        tasks = store.list_task_runs(run.run_id)
        assert len(tasks) == 6 and {t.state for t in tasks} == {"Cancelled"}

    reply = _run(client, 'assert sensors(["north"]) == "north: n=20 mean=8.3 spread=16.0"')
    assert reply["content"]["status"] == "ok", reply["content"]
    assert _run(client, _code_cells()[0])["content"]["status"] == "ok"  # re-running the connect cell...
    assert _value(client, "executor.client.id") == client_id  # ...reuses the open connection


def _value(client: Any, expression: str) -> str:
    """The text/plain repr of an expression evaluated in the kernel."""
    shown: list[str] = []

    def keep(msg: Any) -> None:
        if msg["msg_type"] == "execute_result":
            shown.append(msg["content"]["data"]["text/plain"])

    reply = client.execute_interactive(expression, timeout=CELL_TIMEOUT, output_hook=keep)
    assert reply["content"]["status"] == "ok", reply["content"]
    return shown[0]


def _next_progress_update(client: Any) -> str:
    """The text of the next in-place update of a progress output (skipping other kernel messages)."""
    while True:
        msg = client.get_iopub_msg(timeout=CELL_TIMEOUT)
        if msg["msg_type"] == "update_display_data":
            return str(msg["content"]["data"].get("text/plain", ""))
