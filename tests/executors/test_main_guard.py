"""Scripts that call a flow at module level, with no main guard, run on the embedded Dask cluster."""

from __future__ import annotations

import multiprocessing.spawn
import subprocess
import sys
from pathlib import Path

import pytest

from executors.main_guard import DASK_WORKER_PROCESS, skip_main_import

#: Backstop for a script that starts an embedded LocalCluster; a healthy one takes a few seconds.
SCRIPT_TIMEOUT = 240

UNGUARDED = """
import os
from orchestrator import flow, task

class Box:
    def __init__(self, value):
        self.value = value

@task
def wrap(x: int) -> Box:
    return Box(x + 1)

@task
def unwrap(box: Box) -> tuple[int, int]:
    return box.value * 10, os.getpid()

@flow
def pipeline() -> list[tuple[int, int]]:
    return [unwrap(wrap(i)) for i in range(3)]

pairs = pipeline()
print("values", [v for v, _ in pairs])
print("ran in workers", all(pid != os.getpid() for _, pid in pairs))
"""


def _run(argv: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "DASKFLOW_HOME": str(home), "DASKFLOW_LOGGING_CONSOLE": "0"}
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=SCRIPT_TIMEOUT, check=False)


@pytest.mark.slow
@pytest.mark.cluster
def test_an_unguarded_script_runs_its_flow_in_worker_processes(tmp_path: Path, home: Path) -> None:
    """A script without `if __name__ == "__main__":` runs once, on the embedded cluster's worker processes."""
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED)
    result = _run([sys.executable, str(script)], tmp_path, home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["values [10, 20, 30]", "ran in workers True"]
    assert "Nanny failed" not in result.stderr


@pytest.mark.slow
@pytest.mark.cluster
def test_an_unguarded_module_run_with_dash_m_works_too(tmp_path: Path, home: Path) -> None:
    """`python -m module` (a main module imported by name) does not re-run in the workers either."""
    (tmp_path / "unguarded_module.py").write_text(UNGUARDED)
    result = _run([sys.executable, "-m", "unguarded_module"], tmp_path, home)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["values [10, 20, 30]", "ran in workers True"]


def test_only_dask_worker_processes_skip_the_main_import() -> None:
    """Other processes this program spawns still get the main module, exactly as before."""
    skip_main_import()
    skip_main_import()  # idempotent: wrapped once
    wrapped = multiprocessing.spawn.get_preparation_data
    original = wrapped.daskflow_original  # type: ignore[attr-defined]
    assert not hasattr(original, "daskflow_original")
    keys = {"init_main_from_name", "init_main_from_path"}
    assert not keys & set(wrapped(DASK_WORKER_PROCESS))
    assert keys & set(wrapped("some other process")) == keys & set(original("some other process"))
