"""The critical path of a stored run, as ``bench_stats.critical_path`` defines it, for tests of what shows it.

Which chain is critical depends on the task times of that very run: in a run
of millisecond tasks, one slow ``read`` can outweigh a whole chain. So tests
of the CLI and the dashboard compare what they show with this, not with a
fixed length.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.history.store import SQLiteStore
from orchestrator.views.bench_stats import CriticalPath, critical_path
from orchestrator.views.dashboard.summaries import timings


def stored_critical_path(db: Path, run_id: str) -> CriticalPath:
    """The critical path of the finished run ``run_id`` in the store at ``db``, over its stored graph."""
    with SQLiteStore(db) as store:
        row = store.get_flow_run(run_id)
        assert row is not None, f"flow run {run_id} is not in {db}"
        columns, graph = store.queries.task_columns(run_id), store.queries.graph(run_id)
    path = critical_path(timings(row, columns, graph, row.ended or row.started))
    assert path.tasks, f"flow run {run_id} has no critical path"
    return path
