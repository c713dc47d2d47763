"""The dashboard benchmark works at tiny sizes: it generates a store, drives the browser and reports every budget."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# benchmarks/ is a top-level folder of the repository, not an installed package.
_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from benchmarks import dashboard  # noqa: E402
from benchmarks.dashboard_store import BIG, generate  # noqa: E402
from orchestrator.history.store import LogFilter, SQLiteStore  # noqa: E402


def test_the_generated_store_has_the_runs_tasks_and_logs_asked_for(tmp_path: Path) -> None:
    """generate() writes the flow runs, one big run with its graph, retries and failures, and its log lines."""
    written = generate(tmp_path / "daskflow.db", runs=30, tasks=400, logs=250)
    assert (written["runs"], written["tasks"], written["logs"]) == (32, 400, 250)
    with SQLiteStore(tmp_path / "daskflow.db") as store:
        columns = store.queries.task_columns(BIG)
        assert len(columns) == 400 and len(store.queries.graph(BIG)) == 400
        assert len(columns.retries) == 8 and columns.states.count("Failed") == 1
        assert store.queries.count_logs(BIG, LogFilter()) == 250
        assert len(store.list_flow_runs(limit=0)) == 32


@pytest.mark.slow
def test_the_benchmark_reports_each_budget_line(tmp_path: Path) -> None:
    """At tiny sizes and one repeat, every budget line is measured, printed and written to dashboard.json."""
    argv = ["--runs", "40", "--tasks", "300", "--logs", "300", "--live", "60", "--repeat", "1", "--out", str(tmp_path)]
    dashboard.main(argv)
    results = json.loads((tmp_path / "dashboard.json").read_text())
    lines, _ = dashboard.report(results)
    for key, (label, _, _) in dashboard.BUDGETS.items():
        assert len(results[key]) >= 1 and all(value >= 0 for value in results[key]), key
        assert any(line.startswith(label) for line in lines)
    assert results["live"]["bars_at_end"] == "60"
