"""Caching in the state layer, driven directly on a fake clock with real result files and no cluster."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from executors import events
from orchestrator import Task
from orchestrator.engine.fingerprints import task_fingerprint
from orchestrator.records.clock import FakeClock
from orchestrator.records.options import TaskOptions
from orchestrator.records.states import State, StateType
from orchestrator.worker.cache import CachePlan, TaskPlan
from orchestrator.worker.results import location_for
from orchestrator.worker.serialization import RunInfo, TaskSpec
from orchestrator.worker.state_layer import TaskCall, execute
from orchestrator.worker.templates import Slot

TOPIC = "test-cache-layer"


@pytest.fixture
def emitted() -> Any:
    """Events the state layer emits, captured through a real local sink."""
    seen: list[dict[str, Any]] = []
    events.register_local(TOPIC, seen.append)
    yield seen
    events.unregister_local(TOPIC)


@pytest.fixture
def root(tmp_path: Path) -> str:
    """A real file:// result storage root."""
    return (tmp_path / "results").as_uri()


def note(ledger: Path, value: Any) -> None:
    """Record that a task body ran: in a file, since the closure and globals a body reads are part of its key."""
    with ledger.open("a") as out:
        out.write(f"{value}\n")


def noted(ledger: Path) -> list[str]:
    return ledger.read_text().split() if ledger.exists() else []


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    """Where task bodies note each run."""
    return tmp_path / "ran.txt"


def cached_call(
    fn: Any,
    root: str,
    *args: Any,
    kwargs: dict[str, Any] | None = None,
    fill: bool = False,
    resume: dict[str, str] | None = None,
    persist: bool = True,
    **options: Any,
) -> TaskCall:
    options.setdefault("cache", True)
    task = Task(fn, TaskOptions(name=fn.__name__, **options))
    plan = CachePlan(
        task_fingerprint(task, task.source),
        root,
        lookup=task.options.cache_mode is not None,
        persist=persist,
        refresh=task.options.refresh_cache,
        expiration=task.options.cache_expiration,  # type: ignore[arg-type]
        resume=resume or {},
        resume_from="old-run" if resume else None,
    )
    spec = TaskSpec.build("tok", task, RunInfo("run1", TOPIC), TaskPlan(plan))
    return TaskCall(spec, "k-1", fn.__name__, args, kwargs or {}, fill)


def test_second_call_with_the_same_inputs_is_a_cache_hit(
    root: str, emitted: list[dict[str, Any]], ledger: Path
) -> None:
    """The first call runs and persists its result; the same call again is Cached and does not run."""

    def double(x: int) -> int:
        note(ledger, x)
        return 2 * x

    first = execute(cached_call(double, root, 21), (), FakeClock())
    second = execute(cached_call(double, root, 21), (), FakeClock())
    assert (first.type, first.data, second.type, second.data) == (StateType.COMPLETED, 42, StateType.CACHED, 42)
    assert noted(ledger) == ["21"]
    assert first.cache_key == second.cache_key is not None
    written, hit = emitted[0], emitted[1]
    assert written["result"]["location"] == location_for(root, first.cache_key)
    assert "hit" not in written and hit["hit"] == "cache" and hit["state"] == "Cached"
    assert hit["result"]["checksum"] == written["result"]["checksum"]


def test_other_inputs_miss_and_keyword_or_positional_calls_agree(root: str) -> None:
    """f(1) and f(x=1) share a key (arguments bind by name, defaults included); f(2) does not."""

    def inc(x: int, step: int = 1) -> int:
        return x + step

    by_position = execute(cached_call(inc, root, 1), (), FakeClock())
    by_name = execute(cached_call(inc, root, kwargs={"x": 1}), (), FakeClock())
    explicit_default = execute(cached_call(inc, root, 1, 1), (), FakeClock())
    other = execute(cached_call(inc, root, 2), (), FakeClock())
    assert by_name.type is StateType.CACHED and explicit_default.type is StateType.CACHED
    assert other.type is StateType.COMPLETED and other.cache_key != by_position.cache_key


def test_an_expired_result_is_recomputed(root: str, ledger: Path) -> None:
    """cache_expiration counts on the clock: before it a hit, after it the task runs again."""

    def stamp(x: int) -> int:
        note(ledger, x)
        return x

    clock = FakeClock()
    execute(cached_call(stamp, root, 1, cache_expiration=60), (), clock)
    clock.advance(59)
    assert execute(cached_call(stamp, root, 1, cache_expiration=60), (), clock).type is StateType.CACHED
    clock.advance(2)
    assert execute(cached_call(stamp, root, 1, cache_expiration=60), (), clock).type is StateType.COMPLETED
    assert noted(ledger) == ["1", "1"]


def test_refresh_cache_recomputes_and_overwrites(root: str, ledger: Path) -> None:
    """refresh_cache=True runs the task even with a result persisted, and the new value is the cached one."""

    def pick(x: int) -> int:
        note(ledger, x)
        return len(noted(ledger))

    execute(cached_call(pick, root, 0), (), FakeClock())
    refreshed = execute(cached_call(pick, root, 0, refresh_cache=True), (), FakeClock())
    again = execute(cached_call(pick, root, 0), (), FakeClock())
    assert (refreshed.type, refreshed.data, again.type, again.data) == (
        StateType.COMPLETED,
        2,
        StateType.CACHED,
        2,
    )


def test_a_corrupt_result_file_is_a_miss_and_is_rewritten(
    root: str, emitted: list[dict[str, Any]], ledger: Path
) -> None:
    """A result file whose bytes changed fails its checksum: the task reruns, says why, and rewrites it."""

    def work(x: int) -> int:
        note(ledger, x)
        return x * 10

    first = execute(cached_call(work, root, 3), (), FakeClock())
    path = Path(emitted[0]["result"]["location"].removeprefix("file://"))
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    rerun = execute(cached_call(work, root, 3), (), FakeClock())
    assert rerun.type is StateType.COMPLETED and rerun.data == 30 and noted(ledger) == ["3", "3"]
    assert rerun.message is not None and "checksum does not match" in rerun.message
    assert execute(cached_call(work, root, 3), (), FakeClock()).type is StateType.CACHED
    assert first.cache_key == rerun.cache_key


def test_a_missing_result_file_is_a_miss(root: str, emitted: list[dict[str, Any]]) -> None:
    """Deleting the file the key points at makes the next call run, not crash."""

    def work(x: int) -> int:
        return x

    execute(cached_call(work, root, 5), (), FakeClock())
    Path(emitted[0]["result"]["location"].removeprefix("file://")).unlink()
    state = execute(cached_call(work, root, 5), (), FakeClock())
    assert state.type is StateType.COMPLETED and state.message is None


def test_an_upstream_with_a_cache_key_contributes_its_key_not_its_value(root: str) -> None:
    """Two upstreams with the same key but different values give one key; the same value, other keys, two."""

    def consume(value: Any) -> str:
        return "ran"

    call = cached_call(consume, root, Slot(0), fill=True)
    one = execute(call, [State(StateType.COMPLETED, object(), key="u", cache_key="a" * 64)], FakeClock())
    other_value = execute(call, [State(StateType.COMPLETED, object(), key="u", cache_key="a" * 64)], FakeClock())
    other_key = execute(call, [State(StateType.COMPLETED, [1], key="u", cache_key="b" * 64)], FakeClock())
    assert other_value.type is StateType.CACHED and other_value.cache_key == one.cache_key
    assert other_key.type is StateType.COMPLETED and other_key.cache_key != one.cache_key


def test_an_upstream_without_a_key_contributes_its_value(root: str) -> None:
    """An uncached upstream's value is tokenized: equal values hit, different values miss."""

    def consume(value: Any) -> int:
        return len(value)

    call = cached_call(consume, root, Slot(0), fill=True)
    execute(call, [State(StateType.COMPLETED, {"b": 2, "a": 1}, key="u")], FakeClock())
    same = execute(call, [State(StateType.COMPLETED, {"a": 1, "b": 2}, key="u")], FakeClock())
    other = execute(call, [State(StateType.COMPLETED, {"a": 1}, key="u")], FakeClock())
    assert (same.type, other.type) == (StateType.CACHED, StateType.COMPLETED)


def test_an_untokenizable_argument_runs_uncached_and_names_the_argument(
    root: str, emitted: list[dict[str, Any]], tmp_path: Path
) -> None:
    """A lock argument has no deterministic token: the call runs, persists nothing, and the event says why."""

    def guarded(lock: Any, x: int) -> int:
        return x

    first = execute(cached_call(guarded, root, threading.Lock(), 1), (), FakeClock())
    second = execute(cached_call(guarded, root, threading.Lock(), 1), (), FakeClock())
    assert first.type is second.type is StateType.COMPLETED
    assert first.cache_key is None and "result" not in emitted[0]
    assert emitted[0]["nocache"].startswith("argument 'lock' (lock) cannot be tokenized deterministically")
    assert not (tmp_path / "results").exists()


def test_cache_key_fn_replaces_the_inputs(root: str, ledger: Path) -> None:
    """A cache_key_fn's string is the key's input part: calls it maps to one string share a result."""

    def fetch(url: str, session: Any) -> str:
        note(ledger, url)
        return url.upper()

    def by_url(task: Any, arguments: dict[str, Any]) -> str:
        return str(arguments["url"])

    execute(cached_call(fetch, root, "a", threading.Lock(), cache_key_fn=by_url), (), FakeClock())
    hit = execute(cached_call(fetch, root, "a", threading.Lock(), cache_key_fn=by_url), (), FakeClock())
    assert hit.type is StateType.CACHED and hit.data == "A" and noted(ledger) == ["a"]


def test_persist_only_writes_but_never_looks_up(root: str, emitted: list[dict[str, Any]], ledger: Path) -> None:
    """persist_result=True without cache writes every result and reruns every call."""

    def work(x: int) -> int:
        note(ledger, x)
        return x

    execute(cached_call(work, root, 1, cache=None, persist_result=True), (), FakeClock())
    execute(cached_call(work, root, 1, cache=None, persist_result=True), (), FakeClock())
    assert noted(ledger) == ["1", "1"] and all("result" in e for e in emitted)


def test_a_resumed_runs_result_is_reused_by_key(root: str, emitted: list[dict[str, Any]], ledger: Path) -> None:
    """A key the resumed run persisted is read from its recorded location: Cached, hit 'resume', not run."""

    def work(x: int) -> int:
        note(ledger, x)
        return x + 100

    first = execute(cached_call(work, root, 1, cache=None, persist_result=True), (), FakeClock())
    location = emitted[0]["result"]["location"]
    assert first.cache_key is not None
    resume = {first.cache_key: location}
    reused = execute(cached_call(work, root, 1, cache=None, persist_result=True, resume=resume), (), FakeClock())
    changed = execute(cached_call(work, root, 2, cache=None, persist_result=True, resume=resume), (), FakeClock())
    assert (reused.type, reused.data, emitted[1]["hit"]) == (StateType.CACHED, 101, "resume")
    assert reused.message is not None and "reused from flow run old-run" in reused.message
    assert changed.type is StateType.COMPLETED and noted(ledger) == ["1", "2"]
