"""Fixtures for the run store tests: a fresh SQLite store in a temporary directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.history.store import SQLiteStore

EventFactory = Callable[..., dict[str, Any]]


def pytest_configure(config: pytest.Config) -> None:
    # Registered here too so that ``--strict-markers`` accepts it even before
    # (or without) the project's pyproject declaring it; registering twice is harmless.
    config.addinivalue_line("markers", "slow: starts subprocesses; deselect with -m 'not slow'")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    """A new, empty SQLite run store at ``tmp_path / "daskflow.db"``, closed afterwards."""
    with SQLiteStore(tmp_path / "daskflow.db") as opened:
        yield opened


@pytest.fixture
def make_event() -> EventFactory:
    """Build a task event dict with the documented field names; keywords override fields."""

    def build(key: str, state: str, ts: float, *, run: str = "run-1", **fields: Any) -> dict[str, Any]:
        task = key.split("-")[0]
        event: dict[str, Any] = {
            "run": run,
            "key": key,
            "task": task,
            "name": f"{task}[{key.rsplit('-', 1)[-1]}]",
            "state": state,
            "ts": ts,
            "start": None,
            "end": None,
            "attempt": 1,
            "worker": None,
            "message": None,
            "error": None,
        }
        event.update(fields)
        return event

    return build
