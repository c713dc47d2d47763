"""The benchmark harness works at tiny sizes: it times, tabulates and writes JSON (never speed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

# benchmarks/ is a top-level folder of the repository, not an installed package.
_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from benchmarks import report  # noqa: E402
from benchmarks.harness import Result, bench_cluster, run_suite  # noqa: E402


def test_results_table_has_the_issue_columns() -> None:
    """The table shows shape, N, both medians, the ratio, added µs per task and the Prefect column."""
    result = Result("fanout", 20, 21, {"raw": [0.10, 0.12, 0.11], "daskflow": [0.11, 0.13, 0.12]})
    table = report.results_table([result])
    for column in ("shape", "N", "raw Dask median", "daskflow median", "ratio", "added µs/task", "Prefect median"):
        assert column in table
    assert "1.091" in table  # 0.12 / 0.11


@pytest.mark.cluster
def test_harness_runs_two_shapes_and_writes_json(tmp_path: Path) -> None:
    """At 20 tasks and one repeat, the suite measures raw Dask and daskflow and writes results.json."""
    with bench_cluster(memory_limit="1GB") as cluster:
        results = run_suite(
            [("fanout", (20,)), ("chain", (20,))], repeat=1, cluster=cluster, prefect=False, log=lambda _: None
        )
    assert [(r.shape, r.n) for r in results] == [("fanout", 20), ("chain", 20)]
    assert all(len(r.times["raw"]) == 1 and len(r.times["daskflow"]) == 1 for r in results)
    assert "fanout" in report.results_table(results)
    path = report.write_json(tmp_path, results, [], ["suite", "--sizes", "20"])
    payload = json.loads(path.read_text())
    assert [r["shape"] for r in payload["results"]] == ["fanout", "chain"]
    assert payload["results"][0]["ratio"] is not None
