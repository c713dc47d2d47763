"""The caching options of tasks and flows: defaults, normal forms, and errors that name task and option."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from orchestrator import flow, task
from orchestrator.records.errors import FlowDefinitionError
from orchestrator.records.options import TaskOptions


def test_cache_true_means_inputs_and_source_and_persists_by_default() -> None:
    """cache=True is 'inputs+source'; a cached task persists; an uncached one only if its flow says so."""
    cached = TaskOptions(name="t", cache=True)
    assert cached.cache_mode == "inputs+source" and cached.persists(None)
    plain = TaskOptions(name="t")
    assert plain.cache_mode is None and not plain.persists(None) and plain.persists(True)
    assert not TaskOptions(name="t", persist_result=False).persists(True)


def test_a_cache_key_fn_alone_turns_caching_on() -> None:
    """cache_key_fn without cache= caches with the source in the key."""
    assert TaskOptions(name="t", cache_key_fn=lambda task, args: "k").cache_mode == "inputs+source"


def test_cache_expiration_takes_seconds_or_a_timedelta() -> None:
    """A timedelta is stored as seconds."""
    options = TaskOptions(name="t", cache=True, cache_expiration=datetime.timedelta(minutes=2))
    assert options.cache_expiration == 120.0


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"cache": "sometimes"}, "cache must be True, False, 'inputs' or 'inputs+source'"),
        ({"cache": False, "cache_key_fn": lambda t, a: "k"}, "cache=False but a cache_key_fn"),
        ({"cache_key_fn": "key"}, "cache_key_fn must be a function"),
        ({"cache": True, "persist_result": False}, "cache needs persisted results"),
        ({"refresh_cache": True}, "refresh_cache=True needs caching on"),
        ({"cache": True, "cache_expiration": -1}, "cache_expiration must be seconds > 0"),
        ({"cache": True, "cache_version": 1.5}, "cache_version must be a string or an int"),
        ({"persist_result": "yes"}, "persist_result must be True, False or None"),
    ],
)
def test_bad_caching_options_name_the_task_and_the_option(options: dict[str, object], needle: str) -> None:
    """Each bad value is a FlowDefinitionError naming the task and saying what is allowed."""
    with pytest.raises(FlowDefinitionError, match="task 'load'") as info:
        task(name="load", **options)(lambda: None)
    assert needle in str(info.value)


def test_result_storage_takes_urls_and_makes_paths_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """fsspec URLs stay as given; a relative path becomes an absolute file:// URL; bad values name the flow."""
    monkeypatch.chdir(tmp_path)

    def body() -> None:
        return None

    assert flow(result_storage="s3://bucket/prefix/")(body).options.result_storage == "s3://bucket/prefix"
    assert flow(result_storage="shared")(body).options.result_storage == (tmp_path / "shared").as_uri()
    with pytest.raises(FlowDefinitionError, match=r"flow 'body': result_storage .* needs an absolute path"):
        flow(result_storage="file://relative/path")(body)
    with pytest.raises(FlowDefinitionError, match=r"flow 'body': persist_result is True, False or None"):
        flow(persist_result="always")(body)
