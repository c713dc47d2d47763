"""Shared paths for the deploy/ checks, and loading the recipe modules there by path."""

from __future__ import annotations

import importlib.util
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def load_recipe(path: Path) -> ModuleType:
    """Import a deploy/ recipe file as a module of its own (it builds a DaskExecutor; nothing starts)."""
    name = f"deploy_recipe_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def _keep_ctrl_c() -> Iterator[None]:
    """Importing dask_jobqueue replaces the SIGINT handler with sys.exit(); later tests need Python's own."""
    handler = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, handler)
