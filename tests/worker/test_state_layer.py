"""The worker-side state layer driven directly, on a fake clock, with no cluster."""

from __future__ import annotations

import pickle
import threading
import time
from typing import Any

import pytest

from executors import events
from orchestrator import Skip, Task, exponential_backoff
from orchestrator.records.clock import FakeClock
from orchestrator.records.errors import FlowDefinitionError
from orchestrator.records.options import TaskOptions
from orchestrator.records.states import State, StateType
from orchestrator.records.triggers import all_failed, all_finished, all_successful, any_failed, any_successful
from orchestrator.worker.serialization import RunInfo, TaskSpec
from orchestrator.worker.state_layer import Slot, TaskCall, execute

TOPIC = "test-state-layer"


@pytest.fixture
def emitted() -> Any:
    """Events the state layer emits, captured through a real local sink."""
    seen: list[dict[str, Any]] = []
    events.register_local(TOPIC, seen.append)
    yield seen
    events.unregister_local(TOPIC)


def call_of(fn: Any, *args: Any, fill: bool = False, allow: frozenset[int] | None = None, **options: Any) -> TaskCall:
    task = Task(fn, TaskOptions(name=fn.__name__, **options))
    return TaskCall(TaskSpec.build("tok", task, RunInfo("run1", TOPIC)), "k-1", fn.__name__, args, {}, fill, allow)


def done(value: Any = None, key: str = "up") -> State:
    return State(StateType.COMPLETED, value, key=key)


def failed(key: str = "up") -> State:
    return State(StateType.FAILED, ValueError("upstream broke"), key=key)


def test_retries_wait_the_configured_delays_on_the_clock(emitted: list[dict[str, Any]]) -> None:
    """A failing task retries with its delay list (last entry repeating), sleeping only on the clock."""
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 4:
            raise RuntimeError("not yet")
        return "ok"

    clock = FakeClock()
    state = execute(call_of(flaky, retries=3, retry_delay=[1, 5]), (), clock)
    assert state.type is StateType.COMPLETED and state.data == "ok" and state.attempt == 4
    assert clock.sleeps == [1.0, 5.0, 5.0]
    assert [e["state"] for e in emitted] == ["Retrying", "Retrying", "Retrying", "Completed"]


def test_retries_spent_gives_failed_with_traceback(emitted: list[dict[str, Any]]) -> None:
    """After its last retry a task is Failed, carrying error type, message and traceback text."""

    def broken() -> None:
        raise KeyError("missing")

    state = execute(call_of(broken, retries=1), (), FakeClock())
    assert state.type is StateType.FAILED and state.attempt == 2
    assert state.error is not None and state.error.type == "KeyError"
    assert "in broken" in state.error.traceback
    assert emitted[-1]["error"]["type"] == "KeyError"
    assert isinstance(pickle.loads(emitted[-1]["exc"]), KeyError)


def test_retry_on_limits_retries_to_listed_types() -> None:
    """retry_on=(TypeError,) does not retry a ValueError."""

    def broken() -> None:
        raise ValueError("no")

    clock = FakeClock()
    state = execute(call_of(broken, retries=3, retry_on=(TypeError,)), (), clock)
    assert state.type is StateType.FAILED and state.attempt == 1 and clock.sleeps == []


def test_retry_on_predicate_decides() -> None:
    """A retry_on predicate returning False stops retries."""

    def broken() -> None:
        raise ValueError("fatal")

    state = execute(call_of(broken, retries=3, retry_on=lambda e: "fatal" not in str(e)), (), FakeClock())
    assert state.attempt == 1


def test_exponential_backoff_and_jitter_schedule() -> None:
    """exponential_backoff doubles per attempt up to the cap; jitter stays within its fraction."""
    opts = TaskOptions(name="t", retries=5, retry_delay=exponential_backoff(1, 2, max_delay=5))
    assert [opts.retry_delay_for(a) for a in range(1, 6)] == [1, 2, 4, 5, 5]
    jittery = TaskOptions(name="t", retries=1, retry_delay=10, retry_jitter=0.5)
    import random

    rng = random.Random(0)
    assert all(5 <= jittery.retry_delay_for(1, rng) <= 15 for _ in range(100))


def test_callable_retry_delay_gets_attempt_number() -> None:
    """A callable retry_delay receives 1 for the first retry."""
    opts = TaskOptions(name="t", retries=2, retry_delay=lambda attempt: attempt * 10)
    assert [opts.retry_delay_for(1), opts.retry_delay_for(2)] == [10, 20]


@pytest.mark.parametrize(
    ("trigger", "upstream", "runs"),
    [
        (all_successful, [done(), done()], True),
        (all_successful, [done(), failed()], False),
        (all_finished, [failed(), State(StateType.SKIPPED)], True),
        (any_failed, [done(), failed()], True),
        (any_failed, [done(), done()], False),
        (all_failed, [failed(), failed()], True),
        (all_failed, [failed(), done()], False),
        (any_successful, [failed(), done()], True),
        (any_successful, [failed(), failed()], False),
    ],
)
def test_triggers_decide_whether_the_task_runs(trigger: Any, upstream: list[State], runs: bool) -> None:
    """Each built-in trigger runs or skips the task as its name says."""

    def body(*xs: Any) -> str:
        return "ran"

    call = call_of(body, *[Slot(i) for i in range(len(upstream))], fill=True, trigger=trigger)
    state = execute(call, upstream, FakeClock())
    assert (state.type is StateType.COMPLETED) is runs
    if not runs:
        assert state.type is StateType.SKIPPED


def test_default_trigger_skips_with_reason_upstream_failed() -> None:
    """A dependent of a failed task is Skipped with reason 'upstream failed'."""
    state = execute(call_of(lambda x: x, Slot(0), fill=True), [failed()], FakeClock())
    assert state.type is StateType.SKIPPED and state.message == "upstream failed"


def test_callable_trigger_and_handled_upstreams(emitted: list[dict[str, Any]]) -> None:
    """A custom trigger can accept failures; the event lists the failed upstreams it handled."""
    call = call_of(lambda x: "ran", Slot(0), fill=True, trigger=lambda states: True)
    state = execute(call, [failed("up-1")], FakeClock())
    assert state.data == "ran"
    assert emitted[-1]["handled"] == ["up-1"]


def test_allow_failure_passes_the_state_and_runs(emitted: list[dict[str, Any]]) -> None:
    """An allow_failure upstream is passed as its State and does not block the default trigger."""
    call = call_of(lambda s: s.type.value, Slot(0), fill=True, allow=frozenset({0}))
    state = execute(call, [failed("up-2")], FakeClock())
    assert state.data == "Failed"
    assert emitted[-1]["handled"] == ["up-2"]


def test_skip_signal_marks_skipped_with_reason() -> None:
    """raise Skip('why') ends the task Skipped with that reason."""

    def skipper() -> None:
        raise Skip("nothing to do today")

    state = execute(call_of(skipper), (), FakeClock())
    assert state.type is StateType.SKIPPED and state.message == "nothing to do today"


def test_unpicklable_result_fails_naming_task_and_type() -> None:
    """A result that cannot be pickled gives Failed naming the task and the object's type."""

    def make_lock() -> Any:
        return threading.Lock()

    state = execute(call_of(make_lock), (), FakeClock())
    assert state.type is StateType.FAILED
    assert state.message is not None and "make_lock" in state.message and "lock" in state.message


def test_unpicklable_exception_is_replaced_by_a_portable_one() -> None:
    """A user exception that does not pickle is carried as a stand-in with its text."""

    class WeirdError(Exception):
        def __init__(self, a: int, b: int) -> None:
            super().__init__(f"{a}/{b}")

    def broken() -> None:
        raise WeirdError(1, 2)

    state = execute(call_of(broken), (), FakeClock())
    pickle.loads(pickle.dumps(state))
    assert "WeirdError" in str(state.data)


def test_timeout_abandons_a_blocking_call_promptly() -> None:
    """A task blocked in time.sleep(60) is TimedOut within timeout + 1 s and the caller is freed."""

    def blocker() -> None:
        time.sleep(60)

    started = time.monotonic()
    state = execute(call_of(blocker, timeout=0.5), (), FakeClock())
    assert state.type is StateType.TIMED_OUT
    assert time.monotonic() - started < 0.5 + 1.0
    assert "timeout of 0.5 s" in (state.message or "")


def test_timeout_stops_pure_python_loops() -> None:
    """A pure-Python busy loop past its timeout is stopped by the asynchronous exception."""
    stopped = threading.Event()

    def spin() -> None:
        try:
            while True:
                pass
        finally:
            stopped.set()

    state = execute(call_of(spin, timeout=0.2), (), FakeClock())
    assert state.type is StateType.TIMED_OUT
    assert stopped.wait(30)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"retries": -1}, "retries must be"),
        ({"retry_delay": "soon"}, "retry_delay must be"),
        ({"timeout": 0}, "timeout must be"),
        ({"retry_on": [1]}, "retry_on must list"),
        ({"retry_jitter": 2}, "retry_jitter"),
    ],
)
def test_bad_options_name_the_task(options: dict[str, Any], match: str) -> None:
    """Invalid task options raise FlowDefinitionError naming the task and the problem."""
    with pytest.raises(FlowDefinitionError, match=match) as info:
        TaskOptions(name="extract", **options)
    assert "'extract'" in str(info.value)
