"""What a notebook shows, checked without a kernel: ``FlowRun._repr_html_``, and when live progress is on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from executors import LocalExecutor
from orchestrator import FlowDefinitionError, flow, task
from orchestrator.views.notebook import in_notebook, progress_wanted
from orchestrator.views.run_html import PER_TASK_RUN_ROWS


@task
def double(x: int) -> int:
    return 2 * x


@task
def explode(x: int) -> int:
    raise ValueError(f"<b>{x}</b> is not allowed")


def test_flow_run_html_lists_task_runs_states_durations_and_errors() -> None:
    """A small run's HTML has a row per task run, and each error with its (escaped) traceback."""

    @flow(executor=LocalExecutor())
    def mixed() -> list[int]:
        return [double(1), explode(2)]

    run = mixed.run()
    html = run._repr_html_()
    assert f"flow run {run.id}</b> of <code>mixed</code>" in html and "Failed" in html
    assert html.count("<tr>") == 1 + 2  # the header and one row per task run
    assert "double" in html and "Completed" in html and " ms<" in html
    assert "<details>" in html and "ValueError: &lt;b&gt;2&lt;/b&gt; is not allowed" in html
    assert "Traceback (most recent call last)" in html and "<b>2</b>" not in html


def test_flow_run_html_groups_a_large_run_by_task_name() -> None:
    """Above PER_TASK_RUN_ROWS task runs, the table has one row per task name with counts by state."""

    @flow(executor=LocalExecutor())
    def many(n: int) -> list[int]:
        return double.map(range(n))

    run = many.run(PER_TASK_RUN_ROWS + 5)
    html = run._repr_html_()
    assert html.count("<tr>") == 1 + 1
    assert f"<td {_left()}>double</td><td {_right()}>{PER_TASK_RUN_ROWS + 5}</td>" in html


def _left() -> str:
    return 'style="padding:2px 8px;text-align:left;border-bottom:1px solid #e0e0e0"'


def _right() -> str:
    return 'style="padding:2px 8px;text-align:right;border-bottom:1px solid #e0e0e0"'


def test_outside_a_kernel_progress_is_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Plain Python is not a notebook: progress is off by default, on with progress=True or DASKFLOW_PROGRESS=1."""
    monkeypatch.delenv("DASKFLOW_PROGRESS", raising=False)
    assert not in_notebook()
    assert progress_wanted(None) is False and progress_wanted(True) is True
    monkeypatch.setenv("DASKFLOW_PROGRESS", "1")
    assert progress_wanted(None) is True and progress_wanted(False) is False


def test_progress_true_prints_text_progress_outside_a_notebook(capsys: pytest.CaptureFixture[str]) -> None:
    """With progress=True in a script, the run prints a plain progress line; by default it prints nothing."""

    @flow(executor=LocalExecutor())
    def quiet() -> int:
        return double(2)  # type: ignore[return-value]

    assert quiet() == 4
    assert capsys.readouterr().out == ""
    assert quiet.with_options(progress=True)() == 4
    assert "1/1 finished | double 1/1" in capsys.readouterr().out


def test_progress_option_must_be_a_bool_or_none() -> None:
    """progress= takes True, False or None; anything else is a FlowDefinitionError (a TypeError)."""
    with pytest.raises(FlowDefinitionError, match="progress is True, False or None"):

        @flow(progress="yes")
        def chatty() -> None: ...


def test_importing_orchestrator_loads_neither_ipython_nor_distributed() -> None:
    """import orchestrator stays light: no IPython, no distributed."""
    code = "import sys, orchestrator; print('IPython' in sys.modules, 'distributed' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
