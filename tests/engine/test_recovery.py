"""What recovery may conclude about unreported task runs from their dependents' records (no cluster)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from executors import LocalExecutor
from orchestrator.engine.recovery import recover_unreported, state_fields
from orchestrator.records.runs import FlowRun, TaskRun
from orchestrator.records.states import ErrorInfo, State, StateType


def _run(edges: Mapping[str, tuple[str, ...]], reported: Mapping[str, tuple[StateType, int]]) -> FlowRun:
    run = FlowRun("r1", "f", {})
    for key in edges:
        run.task_runs[key] = tr = TaskRun(key, key.split("-")[0], key)
        if key in reported:
            state, attempt = reported[key]
            tr.apply({"state": state.value, "ts": 1.0, "start": 0.5, "end": 1.0, "attempt": attempt})
    run.edges.update(edges)
    return run


def _recover(run: FlowRun, lenient: set[str] | None = None) -> list[dict[str, Any]]:
    applied: list[dict[str, Any]] = []

    def apply(event: Mapping[str, Any]) -> None:
        applied.append(dict(event))
        run.task_runs[event["key"]].apply(event)

    recover_unreported(run, LocalExecutor(), lenient or set(), apply)
    return applied


def test_a_chain_is_recovered_from_the_one_strict_dependent_that_reported() -> None:
    """a -> b -> c with only c reported Completed: b and a are recovered Completed, downstream first."""
    run = _run({"a-0": (), "b-1": ("a-0",), "c-2": ("b-1",)}, {"c-2": (StateType.COMPLETED, 1)})
    applied = _recover(run)
    assert [e["key"] for e in applied] == ["b-1", "a-0"]
    assert {k: tr.state for k, tr in run.task_runs.items()} == dict.fromkeys(run.task_runs, StateType.COMPLETED)
    assert "'b-1' ran on its successful result" in (run.task_runs["a-0"].message or "")
    assert run.task_runs["a-0"].worker is None and run.task_runs["a-0"].start is None


def test_a_dependent_whose_body_ran_and_failed_still_proves_its_upstream_completed() -> None:
    """A strict dependent that Failed at attempt 1 got past its trigger, so its upstream succeeded."""
    run = _run({"a-0": (), "b-1": ("a-0",)}, {"b-1": (StateType.FAILED, 1)})
    _recover(run)
    assert run.task_runs["a-0"].state is StateType.COMPLETED


def test_no_proof_from_skipped_lenient_or_unreported_dependents() -> None:
    """Trigger-skipped (attempt 0), lenient-trigger and silent dependents prove nothing: upstreams stay open."""
    run = _run(
        {"a-0": (), "b-1": ("a-0",), "c-2": (), "d-3": ("c-2",), "e-4": (), "f-5": ("e-4",)},
        {"b-1": (StateType.SKIPPED, 0), "d-3": (StateType.COMPLETED, 1)},
    )
    assert _recover(run, lenient={"d-3"}) == []
    assert {k for k, tr in run.task_runs.items() if tr.state is StateType.PENDING} == {"a-0", "c-2", "e-4", "f-5"}


def test_state_fields_carry_a_held_states_record_but_never_its_data() -> None:
    """state_fields(State) is the final event's fields: type, times, attempt, worker, error; no value."""
    failed = State(
        StateType.FAILED,
        ValueError("boom"),
        message="ValueError: boom",
        error=ErrorInfo("ValueError", "boom", "tb"),
        start=1.0,
        end=2.0,
        attempt=3,
        worker="tcp://w",
    )
    fields = state_fields(failed)
    assert fields is not None
    assert {k: fields[k] for k in ("state", "start", "end", "attempt", "worker", "message")} == {
        "state": "Failed",
        "start": 1.0,
        "end": 2.0,
        "attempt": 3,
        "worker": "tcp://w",
        "message": "ValueError: boom",
    }
    assert fields["error"]["type"] == "ValueError" and isinstance(fields["exc"], bytes)
    assert state_fields(State(StateType.COMPLETED, [1, 2, 3], start=1.0, end=2.0, attempt=1))["len"] == 3  # type: ignore[index]
    assert state_fields(State(StateType.RUNNING)) is None and state_fields(b"raw bytes") is None
