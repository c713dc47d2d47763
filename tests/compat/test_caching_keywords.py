"""Prefect's caching keywords run on daskflow's caching: task_input_hash, cache_expiration, refresh_cache,
persist_result, result_storage, Prefect 1's cache_for."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from orchestrator.compat.prefect import Flow, flow, task
from orchestrator.compat.prefect.tasks import task_input_hash
from orchestrator.history.store import open_store


def _note(log: Path, value: object) -> None:
    """Count a body's run in a file: a list in a closure would change the task's cache key with every call."""
    with log.open("a") as f:
        f.write(f"{value}\n")


def _noted(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def test_prefect_3_caching_keywords_translate_to_daskflows_options(tmp_path: Path) -> None:
    """task_input_hash is cache=True; cache_expiration, refresh_cache, persist_result and result_storage carry over."""

    @task(cache_key_fn=task_input_hash, cache_expiration=datetime.timedelta(hours=1), refresh_cache=True)
    def cached(x: int) -> int:
        return x

    @task(persist_result=True)
    def kept() -> int:
        return 1

    @flow(result_storage=str(tmp_path), persist_result=False)
    def f() -> None: ...

    o = cached.options
    assert (o.cache, o.cache_key_fn, o.refresh_cache) == ("inputs+source", None, True)
    assert o.cache_expiration == 3600.0
    assert kept.options.persist_result is True and kept.options.cache is None
    assert f.options.result_storage == tmp_path.as_uri() and f.options.persist_result is False


def test_a_prefect_storage_block_as_result_storage_is_refused_with_what_to_pass() -> None:
    """An object that is not a path or URL (a Prefect block) gets a TypeError naming result_storage and the fix."""

    class LocalFileSystem:
        basepath = "/tmp"

    with pytest.raises(TypeError, match=r"result_storage must be a path or an fsspec URL"):
        flow(result_storage=LocalFileSystem())(lambda: None)


def test_a_prefect_3_flow_with_task_input_hash_reuses_the_result_on_its_second_run(home: Path, tmp_path: Path) -> None:
    """The second run of a flow whose task uses cache_key_fn=task_input_hash hits: the body runs once, state Cached."""
    calls = tmp_path / "calls"

    @task(cache_key_fn=task_input_hash, cache_expiration=datetime.timedelta(hours=1))
    def slow_square(x: int) -> int:
        _note(calls, x)
        return x * x

    @flow(result_storage=str(tmp_path / "results"))
    def squares(x: int) -> int:
        return slow_square(x)

    assert [squares(3), squares(3), squares(4)] == [9, 9, 16]
    assert _noted(calls) == ["3", "4"]
    store = open_store(home / "daskflow.db")
    (second,) = [r for r in store.list_flow_runs(limit=3)][1:2]
    assert [tr.state for tr in store.list_task_runs(second.run_id)] == ["Cached"]


def test_a_prefect_cache_key_fn_gets_a_context_and_the_parameters(home: Path, tmp_path: Path) -> None:
    """A cache_key_fn of the user's own is called as Prefect calls it, (context, parameters), and keys the cache."""
    calls = tmp_path / "calls"

    def by_name(context: Any, parameters: dict[str, Any]) -> str:
        assert context.parameters == parameters and context.task is not None
        return str(parameters["name"]).lower()

    @task(cache_key_fn=by_name)
    def greet(name: str) -> str:
        _note(calls, name)
        return f"hello {name}"

    @flow(result_storage=str(tmp_path / "results"))
    def greeting(name: str) -> str:
        return greet(name)

    assert [greeting("Ada"), greeting("ADA")] == ["hello Ada", "hello Ada"]
    assert _noted(calls) == ["Ada"]


def test_a_prefect_1_task_with_cache_for_is_not_recomputed_within_that_time(home: Path, tmp_path: Path) -> None:
    """Prefect 1's cache_for caches the task by its inputs and code for that long."""
    calls = tmp_path / "calls"

    @task(cache_for=datetime.timedelta(hours=1))
    def load(n: int) -> int:
        _note(calls, n)
        return n + 1

    with Flow("p1-cached", result_storage=str(tmp_path / "results")) as f:
        load(1)
    assert f.run().is_successful() and f.run().is_successful()
    assert _noted(calls) == ["1"]


def test_task_input_hash_called_in_a_key_fn_keys_by_the_inputs(home: Path, tmp_path: Path) -> None:
    """Called from a cache_key_fn, task_input_hash gives Prefect's key: equal inputs hit, other inputs miss."""
    calls = tmp_path / "calls"

    def versioned(context: Any, parameters: dict[str, Any]) -> str | None:
        key = task_input_hash(context, parameters)
        return None if key is None else f"{key}-v2"

    @task(cache_key_fn=versioned)
    def double(x: int) -> int:
        _note(calls, x)
        return 2 * x

    @flow(result_storage=str(tmp_path / "results"))
    def doubling(x: int) -> int:
        return double(x)

    assert [doubling(1), doubling(1), doubling(2)] == [2, 2, 4]
    assert _noted(calls) == ["1", "2"]
