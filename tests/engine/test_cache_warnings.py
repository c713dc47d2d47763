"""A key that cannot be made whole means no caching and one warning per task, naming what could not be tokenized."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path

import pytest

from executors import LocalExecutor
from orchestrator import CacheKeyWarning, StateType, flow, task
from orchestrator.worker.results import scan_results

LOCK = threading.Lock()


@task(cache=True)
def guarded(lock: object, x: int) -> int:
    return x


@task(cache=True)
def uses_the_lock(x: int) -> int:
    with LOCK:
        return x


@flow
def mapped_over_a_lock(n: int = 5) -> list[int]:
    lock = threading.Lock()
    return [guarded(lock, i) for i in range(n)]


@flow
def reads_a_lock_global(n: int = 3) -> list[int]:
    return uses_the_lock.map(range(n))


def test_calls_with_an_untokenizable_argument_warn_once_and_run_uncached(home: Path) -> None:
    """Five calls with a lock argument run and persist nothing; the run warns once, naming task and argument."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run = mapped_over_a_lock.run(executor=LocalExecutor())
    found = [w for w in caught if issubclass(w.category, CacheKeyWarning)]
    assert len(found) == 1
    assert "task 'guarded' is not cached in flow run" in str(found[0].message)
    assert "argument 'lock' (lock) cannot be tokenized deterministically" in str(found[0].message)
    assert run.value == [0, 1, 2, 3, 4] and {tr.state for tr in run.task_runs.values()} == {StateType.COMPLETED}
    assert list(scan_results((home / "results").as_uri())) == []


def test_a_task_reading_an_untokenizable_global_warns_once_and_runs_uncached(home: Path) -> None:
    """A task whose global is a lock is not cached in the run at all; one warning names the global."""
    with pytest.warns(CacheKeyWarning, match=r"task 'uses_the_lock' .* its global 'LOCK' \(lock\)") as caught:
        run = reads_a_lock_global.run(executor=LocalExecutor())
    assert len([w for w in caught if issubclass(w.category, CacheKeyWarning)]) == 1
    assert run.value == [0, 1, 2] and run.hits() == {}
    assert list(scan_results((home / "results").as_uri())) == []
