"""Fixtures for run-history tests: the CLI as a subprocess, in the test's own home.

``home`` (tests/conftest.py) gives every test its own ``DASKFLOW_HOME`` under
``tmp_path``, so its store is a real SQLite file nobody else writes;
``daskflow`` runs ``python -m orchestrator`` in a subprocess with that home,
without a TTY.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

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
from orchestrator import flow, task
from orchestrator.run_logs import get_run_logger


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
