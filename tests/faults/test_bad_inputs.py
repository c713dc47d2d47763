"""Bad and strange inputs, fuzzed with hypothesis: every outcome is a clear state or error, nothing hangs.

After each input the run store must still read back, with no run left
Running. Local-executor examples are many (they are cheap); the same
properties are then checked on the session's real LocalCluster with fewer
examples, because there arguments, results and exceptions are pickled.
"""

from __future__ import annotations

import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from executors import Executor, LocalExecutor
from orchestrator import FlowRunFailed, StateType, flow, task
from orchestrator.history.store import SQLiteStore
from orchestrator.views.cli import main as daskflow_main

#: How many inputs each property saw, printed at the end of the module (the issue's figures).
TRIED: dict[str, int] = {}


def fuzz(examples: int) -> settings:
    """Settings for one property: ``examples`` inputs, no deadline (a busy 2-core machine), no saved examples."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )


NAMES = st.one_of(
    st.text(min_size=1, max_size=40),  # any unicode (surrogates excluded by hypothesis' text)
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=31), min_size=1, max_size=10),  # control chars
    st.builds(lambda c, n: c * n, st.characters(), st.integers(5_000, 20_000)),  # huge
    st.sampled_from(["\x00", "a\x00b", "\x1b[31mred\x1b[0m", "line\nbreak", "💥" * 300, "名前", "' OR 1=1 --"]),
)


@pytest.fixture(autouse=True, scope="module")
def _report() -> Iterator[None]:
    yield
    print("\ninputs tried:", ", ".join(f"{k} {v}" for k, v in sorted(TRIED.items())))


def _count(what: str) -> None:
    TRIED[what] = TRIED.get(what, 0) + 1


def _store_is_sound(home: Path) -> None:
    """The store opens, lists every run, and holds none Running."""
    with SQLiteStore(home / "daskflow.db") as store:
        runs = store.list_flow_runs(limit=0)
        assert all(r.state != "Running" for r in runs), [(r.run_id, r.state) for r in runs if r.state == "Running"]
        for run in runs[:3]:
            store.list_task_runs(run.run_id)


def _named_run(flow_name: str, task_name: str, executor: Executor, home: Path) -> None:
    @task(name=task_name)
    def echo(x: int) -> int:
        return x + 1

    @flow(name=flow_name, executor=executor)
    def named(n: int) -> list[int]:
        return [echo(i) for i in range(n)]

    run = named.run(n=2)
    assert run.state is StateType.COMPLETED, run.message
    assert run.value == [1, 2]
    with SQLiteStore(home / "daskflow.db") as store:
        row = store.get_flow_run(run.id)
        assert row is not None and row.flow_name == flow_name and row.state == "Completed"
        assert [t.task for t in store.list_task_runs(run.id)] == [task_name, task_name]


@fuzz(60)
@given(flow_name=NAMES, task_name=NAMES)
def test_any_flow_and_task_name_runs_and_is_recorded_exactly_locally(
    flow_name: str, task_name: str, home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unicode, control-character and 20k-character names: the run completes and the store gives them back."""
    _count("names (local)")
    _named_run(flow_name, task_name, LocalExecutor(), home)
    assert daskflow_main(["runs", "ls", "--limit", "5"]) == 0
    _store_is_sound(home)
    capsys.readouterr()


@pytest.mark.cluster
@fuzz(12)
@given(flow_name=NAMES, task_name=NAMES)
def test_any_flow_and_task_name_runs_and_is_recorded_exactly_on_dask(
    flow_name: str, task_name: str, home: Path, dask_executor: Executor
) -> None:
    """The same names as Dask keys on a real LocalCluster: completed and recorded exactly."""
    _count("names (dask)")
    _named_run(flow_name, task_name, dask_executor, home)
    _store_is_sound(home)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10,
)


@task
def size_of(tags: list[str], n: int, ratio: float) -> float:
    return len(tags) * n * ratio


@flow(executor=LocalExecutor())
def typed(n: int, tags: list[str], ratio: float = 0.5) -> float:
    return size_of(tags, n, ratio)


@fuzz(150)
@given(params=st.fixed_dictionaries({}, optional={"n": JSONISH, "tags": JSONISH, "ratio": JSONISH, "extra": JSONISH}))
def test_fuzzed_parameters_validate_or_fail_before_anything_runs(params: dict[str, Any], home: Path) -> None:
    """Any parameters: a completed run, or a clear error before any run is recorded; never a stuck run."""
    _count("parameters")
    with SQLiteStore(home / "daskflow.db") as store:
        before = len(store.list_flow_runs(limit=0))
    try:
        run = typed.run(**params)
    except (ValueError, TypeError) as exc:  # pydantic's ValidationError is a ValueError
        assert str(exc)
        with SQLiteStore(home / "daskflow.db") as store:
            assert len(store.list_flow_runs(limit=0)) == before
    else:
        assert run.state is StateType.COMPLETED, run.message
    _store_is_sound(home)


def _generator() -> Iterator[int]:
    yield 1


UNPICKLABLE = [threading.Lock(), _generator(), (lambda lock: lambda: lock)(threading.Lock()), threading.Event()]


@task
def consume(value: Any) -> str:
    return type(value).__name__


@pytest.mark.cluster
@fuzz(20)
@given(value=st.sampled_from(UNPICKLABLE), wrap=st.sampled_from(["bare", "in a list", "in a dict"]))
def test_unpicklable_arguments_fail_their_task_naming_it_and_the_type(
    value: Any, wrap: str, home: Path, dask_executor: Executor
) -> None:
    """An argument the cluster cannot receive: that task Failed, naming itself and the type; nothing hangs."""
    _count("unpicklable arguments")
    argument = {"bare": value, "in a list": [1, value], "in a dict": {"k": value}}[wrap]

    @flow(executor=dask_executor)
    def ships(x: Any) -> str:
        return consume(x)

    run = ships.run(x=argument)
    assert run.state is StateType.FAILED
    (tr,) = run.task_runs.values()
    assert tr.state is StateType.FAILED and tr.error is not None
    assert "consume" in tr.error.message and "pickle" in tr.error.message
    _store_is_sound(home)


class Unpicklable(Exception):
    """An exception holding a lock: it cannot cross a process boundary as itself."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.lock = threading.Lock()


@task
def raise_unpicklable(text: str) -> None:
    raise Unpicklable(text)


@pytest.mark.cluster
@fuzz(10)
@given(text=st.text(max_size=200))
def test_an_unpicklable_exception_fails_its_task_with_its_type_and_text(
    text: str, home: Path, dask_executor: Executor
) -> None:
    """A task raising an exception that cannot pickle: Failed with its type and message; the error pickles."""
    _count("unpicklable exceptions")

    @flow(executor=dask_executor)
    def raises(t: str) -> None:
        raise_unpicklable(t)

    run = raises.run(t=text)
    assert run.state is StateType.FAILED
    (tr,) = run.task_runs.values()
    assert tr.error is not None and tr.error.type == "Unpicklable" and tr.error.message == text
    with pytest.raises(FlowRunFailed) as caught:
        run.result()
    assert pickle.loads(pickle.dumps(caught.value)).args == caught.value.args
    _store_is_sound(home)


@task
def recurse(depth: int) -> int:
    return recurse.fn(depth + 1)


@task
def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.cluster
def test_deep_recursion_in_a_task_its_result_or_the_body_ends_in_a_clear_failure(
    home: Path, dask_executor: Executor
) -> None:
    """Infinite recursion in a task, a result nested too deep to pickle, recursion in the body: all clear failures."""
    _count("deep recursion")

    @flow(executor=dask_executor)
    def deep() -> Any:
        return [recurse(0), nested(200_000)]

    run = deep.run()
    assert run.state is StateType.FAILED
    states = {tr.task: tr for tr in run.task_runs.values()}
    assert states["recurse"].error is not None and states["recurse"].error.type == "RecursionError"
    assert states["nested"].state is StateType.FAILED
    assert states["nested"].error is not None and "result" in states["nested"].error.message

    def down(n: int) -> int:
        return down(n + 1)

    @flow(executor=LocalExecutor())
    def body_recurses() -> int:
        return down(0)

    with pytest.raises(RecursionError):
        body_recurses()
    _store_is_sound(home)


MIB = 2**20


@task
def big(megabytes: int) -> bytes:
    return b"\x01" * (megabytes * MIB)


@task
def length(blob: bytes) -> int:
    return len(blob)


@pytest.mark.cluster
@pytest.mark.slow
def test_a_500_mb_result_flows_between_tasks_and_back_to_the_driver(home: Path, dask_executor: Executor) -> None:
    """A 500 MB task result reaches its dependent and the driver intact; the store records it like any other."""
    _count("500 MB results")

    @flow(executor=dask_executor)
    def heavy() -> tuple[int, bytes]:
        blob = big(500)
        return length(blob), blob

    run = heavy.run()
    assert run.state is StateType.COMPLETED, run.message
    size, blob = run.value
    assert size == len(blob) == 500 * MIB and blob[:1] == blob[-1:] == b"\x01"
    del blob, run
    _store_is_sound(home)
