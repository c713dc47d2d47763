"""The public API: every name users import from the package roots, kept complete, sorted and stable."""

from __future__ import annotations

import importlib
import pathlib
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


def _heavy_modules_loaded(code: str) -> list[str]:
    """Which heavy modules (dask, distributed, pydantic, tornado, rich, smtplib) running ``code`` afresh loaded."""
    probe = "import sys; print(sorted(m for m in HEAVY if m in sys.modules))".replace(
        "HEAVY", "('dask', 'distributed', 'pydantic', 'tornado', 'rich', 'smtplib')"
    )
    out = subprocess.run([sys.executable, "-c", f"{code}\n{probe}"], capture_output=True, text=True, check=True)
    return list(eval(out.stdout.strip().splitlines()[-1]))


def test_import_orchestrator_loads_nothing_heavy() -> None:
    """``import orchestrator`` loads no heavy module (not even dask): each name loads on first use."""
    assert _heavy_modules_loaded("import orchestrator") == []


def test_importing_flow_and_task_loads_dask_but_not_distributed_or_pydantic() -> None:
    """``from orchestrator import flow, task`` loads dask, and leaves distributed and pydantic for first use."""
    assert _heavy_modules_loaded("from orchestrator import flow, task") == ["dask"]


def test_importing_flow_and_task_leaves_the_engine_and_the_run_store_for_the_first_run() -> None:
    """The run engine, the state layer, the recorder, the store and sqlite3 load when a run starts, not with
    ``from orchestrator import flow, task``."""
    late = (
        "sqlite3",
        "orchestrator.history.recorder",
        "orchestrator.history.store",
        "orchestrator.engine.run_engine",
        "orchestrator.worker.state_layer",
    )
    code = f"import sys\nfrom orchestrator import flow, task\nprint(sorted(m for m in {late!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_flow_without_parameters_runs_without_pydantic() -> None:
    """A parameterless flow has nothing to validate, so running it never imports pydantic (or distributed)."""
    code = (
        "from executors import LocalExecutor\n"
        "from orchestrator import flow, task\n"
        "one = task(lambda: 1, name='one')\n"
        "assert flow(lambda: one(), name='bare').with_options(executor=LocalExecutor())() == 1"
    )
    assert _heavy_modules_loaded(code) == ["dask"]


def test_the_store_commands_never_import_dask(tmp_path: pathlib.Path) -> None:
    """``daskflow runs ls`` reads the store with none of dask, tornado, rich or the notifiers loaded."""
    code = (
        "import os, sys\n"
        f"os.environ['DASKFLOW_HOME'] = {str(tmp_path)!r}\n"
        "from orchestrator.views.cli import main\n"
        "assert main(['runs', 'ls']) == 0"
    )
    assert _heavy_modules_loaded(code) == []


@pytest.mark.parametrize("module", [orchestrator, executors], ids=lambda m: m.__name__)
def test_every_lazy_name_is_listed_and_resolves_to_its_module(module: types.ModuleType) -> None:
    """Each name a root loads on first use is in ``__all__`` and ``dir()``, and comes from the module named for it."""
    lazy: dict[str, str] = vars(module)["_LAZY"]
    assert set(lazy) <= set(module.__all__) <= set(dir(module))
    for name, source in lazy.items():
        assert getattr(module, name) is getattr(importlib.import_module(source, module.__name__), name)


def test_an_unknown_root_name_raises_attribute_error_naming_it() -> None:
    """``orchestrator.nope`` raises AttributeError naming the missing attribute, as a plain module does."""
    with pytest.raises(AttributeError, match="'nope'"):
        orchestrator.nope  # noqa: B018


def test_the_daskflow_command_points_at_the_cli() -> None:
    """The installed ``daskflow`` console script loads the CLI's ``main`` (what pip wrote from pyproject.toml)."""
    from importlib.metadata import entry_points

    from orchestrator.views.cli import main

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "daskflow"]
    assert script.load() is main
