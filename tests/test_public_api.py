"""The public API: every name users import from the package roots, kept complete, sorted and stable."""

from __future__ import annotations

import subprocess
import sys
import types
import typing

import pytest

import executors
import orchestrator

#: The names each root exported before the code moved into subpackages; none may go missing.
ORCHESTRATOR_NAMES = {
    "DaskExecutor", "DaskGraph", "Executor", "ExecutorError", "Flow", "FlowDefinitionError", "FlowOptions",
    "FlowRun", "FlowRunFailed", "GraphView", "LocalExecutor", "NoRunContext", "OrchestratorError", "Parameter",
    "SchedulerUnreachable", "Skip", "State", "StateType", "Task", "TaskFuture", "TaskInterrupted", "TaskOptions",
    "TaskRun", "TaskRunNotCompleted", "TaskTimedOut", "UnpicklableValue", "VersionMismatchWarning", "all_failed",
    "all_finished", "all_successful", "allow_failure", "always", "any_failed", "any_successful", "case",
    "exponential_backoff", "flatten", "flow", "get_dask_client", "get_run_logger", "ifelse", "merge",
    "not_all_skipped", "task", "to_dask", "unmapped",
}  # fmt: skip
EXECUTORS_NAMES = {
    "DaskExecutor", "Executor", "ExecutorError", "Handle", "LocalExecutor", "OrchestratorError",
    "SchedulerUnreachable", "VersionMismatchWarning",
}  # fmt: skip


def _public_attributes(module: types.ModuleType) -> set[str]:
    """Names bound at a package root that are not private, modules, or typing helpers it imported."""
    return {
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(typing, name, None) is not value
        and name != "annotations"  # from __future__
    }


@pytest.mark.parametrize("module", [orchestrator, executors], ids=lambda m: m.__name__)
def test_all_is_sorted_and_unique(module: types.ModuleType) -> None:
    """``__all__`` lists each name once, in sorted order."""
    assert module.__all__ == sorted(set(module.__all__))


@pytest.mark.parametrize("module", [orchestrator, executors], ids=lambda m: m.__name__)
def test_all_is_complete(module: types.ModuleType) -> None:
    """Every public name bound at the root is in ``__all__``, and every name in ``__all__`` resolves."""
    assert _public_attributes(module) - {"DaskExecutor"} <= set(module.__all__)
    for name in module.__all__:
        assert getattr(module, name) is not None, name


@pytest.mark.parametrize(
    ("module", "names"), [(orchestrator, ORCHESTRATOR_NAMES), (executors, EXECUTORS_NAMES)], ids=lambda x: ""
)
def test_earlier_public_names_are_all_still_exported(module: types.ModuleType, names: set[str]) -> None:
    """No name users imported from the package root before the layout change has gone missing."""
    assert names <= set(module.__all__)


def test_root_names_keep_their_meaning() -> None:
    """Re-exports are the same objects as their definitions (one Task class, one FlowRun class...)."""
    from orchestrator.authoring.tasks import Task
    from orchestrator.engine.futures import TaskFuture
    from orchestrator.records.runs import FlowRun
    from orchestrator.records.states import State

    assert (orchestrator.Task, orchestrator.TaskFuture, orchestrator.FlowRun, orchestrator.State) == (
        Task,
        TaskFuture,
        FlowRun,
        State,
    )
    assert orchestrator.DaskExecutor is executors.DaskExecutor
    assert orchestrator.OrchestratorError is executors.OrchestratorError


def test_import_orchestrator_stays_free_of_distributed_and_pydantic() -> None:
    """``import orchestrator`` loads neither distributed nor pydantic (a DaskExecutor or a flow call does)."""
    code = "import sys, orchestrator; print(sorted(m for m in ('distributed', 'pydantic') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


def test_the_daskflow_command_points_at_the_cli() -> None:
    """The installed ``daskflow`` console script loads the CLI's ``main`` (what pip wrote from pyproject.toml)."""
    from importlib.metadata import entry_points

    from orchestrator.views.cli import main

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "daskflow"]
    assert script.load() is main
