"""State hooks on tasks (run on the worker) and flows (run on the driver)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from executors import Executor, LocalExecutor
from orchestrator import Flow, FlowRun, State, StateType, Task, TaskRun, flow, task
from orchestrator.authoring.flows import run_flow_hooks


def writer(folder: Path, label: str) -> Any:
    """A hook that appends "label name state attempt" to a file, so worker processes can report."""

    def hook(owner: Any, run: Any, state: State) -> None:
        line = f"{label} {owner.name} {type(run).__name__} {run.name if isinstance(run, TaskRun) else run.flow_name} "
        with open(folder / "hooks.txt", "a") as out:
            out.write(line + f"{state.type.value} {state.attempt}\n")

    return hook


def lines(folder: Path) -> list[str]:
    path = folder / "hooks.txt"
    return path.read_text().splitlines() if path.exists() else []


def test_task_hooks_on_completion_failure_and_retry(executor: Executor, tmp_path: Path) -> None:
    """on_retry runs per retry, then on_failure; on_completion runs for a task that succeeds."""

    @task(retries=1, on_retry=writer(tmp_path, "retry"), on_failure=[writer(tmp_path, "failure")])
    def flaky() -> None:
        raise ValueError("always")

    @task(on_completion=writer(tmp_path, "completion"), on_failure=writer(tmp_path, "unexpected"))
    def fine() -> int:
        return 1

    @flow
    def hooked() -> None:
        flaky()
        fine()

    run = hooked.run(executor=executor)
    assert run.state is StateType.FAILED
    assert sorted(lines(tmp_path)) == [
        "completion fine TaskRun fine Completed 1",
        "failure flaky TaskRun flaky Failed 2",
        "retry flaky TaskRun flaky Retrying 1",
    ]


def test_a_raising_task_hook_is_logged_and_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """A task hook that raises is logged with its traceback; the task stays Completed and later hooks run."""
    seen: list[str] = []

    def bad(owner: Task[Any, Any], run: TaskRun, state: State) -> None:
        raise RuntimeError("hook broke")

    def good(owner: Task[Any, Any], run: TaskRun, state: State) -> None:
        seen.append(state.type.value)

    @task(on_completion=[bad, good])
    def fine() -> int:
        return 1

    @flow
    def hooked() -> int:
        return fine()  # type: ignore[return-value]

    with caplog.at_level(logging.ERROR, logger="daskflow.hooks"):
        run = hooked.run(executor=LocalExecutor())
    assert run.is_completed and run.value == 1
    assert seen == ["Completed"]
    assert "hook broke" in caplog.text and "task run 'fine'" in caplog.text


def test_a_raising_task_hook_on_dask_changes_nothing(dask_executor: Executor, tmp_path: Path) -> None:
    """On a Dask worker too, a raising hook leaves the task's state alone and the next hook runs."""

    def bad(owner: Any, run: Any, state: State) -> None:
        raise RuntimeError("hook broke")

    @task(on_completion=[bad, writer(tmp_path, "after")])
    def fine() -> int:
        return 1

    @flow
    def hooked() -> int:
        return fine()  # type: ignore[return-value]

    run = hooked.run(executor=dask_executor)
    assert run.is_completed and run.value == 1
    assert lines(tmp_path) == ["after fine TaskRun fine Completed 1"]


def test_flow_hooks_on_completion_and_failure(executor: Executor, tmp_path: Path) -> None:
    """Flow hooks get the flow, its FlowRun and the final state; a raising one changes nothing."""

    def bad(owner: Any, run: Any, state: State) -> None:
        raise RuntimeError("flow hook broke")

    @task
    def boom() -> None:
        raise ValueError("boom")

    @flow(on_completion=[bad, writer(tmp_path, "done")], on_failure=writer(tmp_path, "failed"))
    def good() -> int:
        return 1

    @flow(on_failure=writer(tmp_path, "failed"), on_completion=writer(tmp_path, "unexpected"))
    def broken() -> None:
        boom()

    assert good.run(executor=executor).value == 1
    assert broken.run(executor=executor).state is StateType.FAILED
    assert lines(tmp_path) == ["done good FlowRun good Completed 0", "failed broken FlowRun broken Failed 0"]


def test_flow_on_crashed_hook(tmp_path: Path) -> None:
    """on_crashed runs for a run that ended Crashed (driver-side, so checked on a finished run record)."""

    @flow(on_crashed=writer(tmp_path, "crashed"), on_failure=writer(tmp_path, "unexpected"))
    def lost() -> None: ...

    run = FlowRun("abc", "lost", {})
    run.state = StateType.CRASHED
    run_flow_hooks(lost, run)
    assert lines(tmp_path) == ["crashed lost FlowRun lost Crashed 0"]


def test_hooks_in_a_prefect1_block_flow(executor: Executor, tmp_path: Path) -> None:
    """Flow("name", on_completion=...) takes hooks like @flow does."""

    @task(on_completion=writer(tmp_path, "task"))
    def one() -> int:
        return 1

    with Flow("hooked", on_completion=writer(tmp_path, "flow")) as hooked:
        one()
    assert hooked.run(executor=executor).is_completed
    assert lines(tmp_path) == ["task one TaskRun one Completed 1", "flow hooked FlowRun hooked Completed 0"]


def test_hooks_must_be_callables() -> None:
    """A hook that is not callable is refused when the task is defined."""
    from orchestrator import FlowDefinitionError

    with pytest.raises(FlowDefinitionError, match="on_failure takes a function"):
        task(on_failure=["not a function"])(lambda: None)
