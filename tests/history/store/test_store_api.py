"""The package surface: exports, the protocol, store location and error pickling."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import types
from pathlib import Path

import pytest

import orchestrator.history.store as store_pkg
from orchestrator.history.store import (
    AmbiguousRunIdError,
    RunStore,
    SQLiteStore,
    StoreError,
    default_store_path,
    open_store,
)
from tests.paths import REPO_ROOT


def _isort_key(name: str) -> tuple[int, str]:
    # The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions.
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_lists_every_public_name() -> None:
    """``__all__`` is sorted and names exactly the package's public, non-module attributes."""
    public = {
        name
        for name, value in vars(store_pkg).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert store_pkg.__all__ == sorted(store_pkg.__all__, key=_isort_key)
    assert set(store_pkg.__all__) == public


def test_sqlite_store_satisfies_the_run_store_protocol(tmp_path: Path) -> None:
    """SQLiteStore is a RunStore, both for the type checker and at runtime."""
    store: RunStore = SQLiteStore(tmp_path / "daskflow.db")
    try:
        assert isinstance(store, RunStore)
    finally:
        store.close()


def test_open_store_defaults_to_daskflow_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a path, open_store creates $DASKFLOW_HOME/daskflow.db, making the directory."""
    home = tmp_path / "nested" / "home"
    monkeypatch.setenv("DASKFLOW_HOME", str(home))
    store = open_store()
    try:
        store.create_flow_run("run-1", "etl", {}, 1.0)
    finally:
        store.close()
    assert (home / "daskflow.db").is_file()


def test_default_path_falls_back_to_dot_daskflow_in_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With DASKFLOW_HOME unset, the store lives at ~/.daskflow/daskflow.db."""
    monkeypatch.delenv("DASKFLOW_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_store_path() == tmp_path / ".daskflow" / "daskflow.db"


def test_open_store_with_a_path_and_in_memory(tmp_path: Path) -> None:
    """An explicit path is used as given (parents created); ":memory:" gives a private store."""
    path = tmp_path / "a" / "b" / "runs.db"
    with_path = open_store(str(path))
    memory = open_store(":memory:")
    try:
        memory.create_flow_run("run-1", "etl", {}, 1.0)
        assert memory.get_flow_run("run-1") is not None
        assert with_path.get_flow_run("run-1") is None
    finally:
        with_path.close()
        memory.close()
    assert path.is_file()


def test_store_errors_pickle_with_their_details() -> None:
    """Store errors survive pickling with their message and fields, as errors crossing processes must."""
    error = AmbiguousRunIdError("ab", ["ab1", "ab2"], 7)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.prefix, copy.matches, copy.count, str(copy)) == (
        "ab",
        ["ab1", "ab2"],
        7,
        str(error),
    )
    plain = pickle.loads(pickle.dumps(StoreError("disk full")))
    assert str(plain) == "disk full"


@pytest.mark.slow
def test_importing_the_package_opens_nothing(tmp_path: Path) -> None:
    """Importing orchestrator.history.store creates no directory or database file."""
    home = tmp_path / "home"
    env = dict(os.environ, DASKFLOW_HOME=str(home))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    subprocess.run(
        [sys.executable, "-c", "import orchestrator.history.store"],
        env=env,
        check=True,
        timeout=60,
    )
    assert not home.exists()
