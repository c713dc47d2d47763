"""Task fingerprints, the code part of cache keys: what changes them and what does not."""

from __future__ import annotations

import importlib.util
import sys
import types
from pathlib import Path

import pytest

from orchestrator import Task, TaskOptions
from orchestrator.engine.fingerprints import task_fingerprint
from orchestrator.worker.tokens import NotDeterministic
from tests.sources import write_source

MODULE = """
import threading
from orchestrator import task

FACTOR = {factor}
LOCK = threading.Lock()


def helper(x):
    return x + {offset}


@task(cache=True)
def scale(x: int) -> int:
    # a comment
    return helper(x) * FACTOR


@task(cache=True)
def untouched(x: int) -> int:
    return x


@task(cache="inputs")
def inputs_only(x: int) -> int:
    return x * FACTOR {extra}


@task(cache=True)
def locked(x: int) -> int:
    with LOCK:
        return x
"""


def load(tmp_path: Path, name: str = "fp_tasks", factor: int = 2, offset: int = 1, extra: str = "") -> types.ModuleType:
    """Write the module (again) and import it afresh under the same name, as a restarted driver would."""
    path = tmp_path / f"{name}.py"
    write_source(path, MODULE.format(factor=factor, offset=offset, extra=extra))
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def fingerprint(task: Task[..., object]) -> str:
    return task_fingerprint(task, task.source)


def test_the_same_code_loaded_again_has_the_same_fingerprint(tmp_path: Path) -> None:
    """Reloading an unchanged module (a new driver process) keeps every fingerprint."""
    first, second = load(tmp_path), load(tmp_path)
    assert fingerprint(first.scale) == fingerprint(second.scale)


def test_editing_the_body_a_global_or_a_helper_changes_the_fingerprint(tmp_path: Path) -> None:
    """A changed body, global value or helper function changes the fingerprint; other tasks keep theirs."""
    base = load(tmp_path)
    original, other = fingerprint(base.scale), fingerprint(base.untouched)
    assert fingerprint(load(tmp_path, factor=3).scale) != original
    helper_edited = load(tmp_path, offset=5)
    assert fingerprint(helper_edited.scale) != original
    assert fingerprint(helper_edited.untouched) == other


def test_cache_inputs_leaves_code_and_globals_out(tmp_path: Path) -> None:
    """With cache='inputs' neither an edited body nor a changed global changes the fingerprint."""
    base = fingerprint(load(tmp_path).inputs_only)
    assert fingerprint(load(tmp_path, factor=9, extra="+ 0").inputs_only) == base


def test_the_source_is_the_one_seen_at_decoration(tmp_path: Path) -> None:
    """Editing the file after the task was decorated does not change its fingerprint: the old code is what runs."""
    module = load(tmp_path)
    before = fingerprint(module.untouched.with_options(cache_version=1))
    edited = MODULE.format(factor=2, offset=1, extra="").replace("return x\n", "return -x\n")
    (tmp_path / "fp_tasks.py").write_text(edited)
    assert fingerprint(module.untouched.with_options(cache_version=1)) == before


def test_closure_cells_are_part_of_the_fingerprint() -> None:
    """Two functions from one factory differ by what their closure holds."""

    def make(n: int) -> Task[[int], int]:
        def add(x: int) -> int:
            return x + n

        return Task(add, TaskOptions(name="add", cache=True))

    assert fingerprint(make(1)) == fingerprint(make(1)) != fingerprint(make(2))


def test_cache_version_changes_the_fingerprint(tmp_path: Path) -> None:
    """Bumping cache_version invalidates every key of the task."""
    task = load(tmp_path).untouched
    assert fingerprint(task.with_options(cache_version=1)) != fingerprint(task.with_options(cache_version=2))


def test_an_untokenizable_global_names_the_global(tmp_path: Path) -> None:
    """A task that reads a lock global has no fingerprint, and the error names the global."""
    with pytest.raises(NotDeterministic, match=r"global 'LOCK' \(lock\) cannot be tokenized"):
        fingerprint(load(tmp_path).locked)
