"""The performance budget of DESIGN.md / issue 6, measured line by line.

| check    | measure                                                         | budget   |
|----------|-----------------------------------------------------------------|----------|
| ratio    | daskflow / raw Dask median: 10k fan-out (and 100k when the suite | <= 1.15  |
|          | timed it: 1.05); the fused 1k chain (0.05); the ETL (1.0)       |          |
| local    | ``LocalExecutor()`` (sync) overhead per no-op task vs plain calls| <= 30 µs |
| import   | ``from orchestrator import flow, task`` afresh, no distributed   | <= 0.2 s |
| startup  | that import against ``import dask``; process start to first task | <= 1.10x,|
|          | against raw ``LocalCluster()`` + submit; a one-task flow run on  | +0.2 s,  |
|          | a started cluster (``benchmarks.startup``)                      | 20 ms    |
| rss      | driver peak RSS (``VmHWM``) of a 100k-task fan-out, and the     | <= 500 MB|
|          | driver's bytes per node (peak less the RSS before the flow) / N  |          |
| etl      | the ETL on workers with ``memory_limit="1GB"`` completes without | holds <  |
|          | ever holding every partition at once                            | all      |

``import`` and ``rss`` run in a fresh subprocess (``benchmarks.probe``); the
``rss`` driver connects to a cluster whose scheduler lives in *this*
process, so its RSS is the driver's alone. ``etl`` samples the managed
bytes the scheduler knows of (``WorkerState.nbytes``, spilled included)
every 50 ms while the flow runs.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from orchestrator import LocalExecutor, flow, task

from . import work
from .harness import Result, bench_cluster, close_runners, measure, open_runners, wait_idle
from .shapes import SHAPES, etl_floats, etl_flow

__all__ = ["CHECKS", "BudgetLine", "run_budget"]

CHECKS = ("ratio", "local", "import", "startup", "rss", "etl")
#: Bounds on daskflow / raw Dask: DESIGN.md's for the 10k fan-out, and issue 15's: a fused 1,000-task
#: chain at least 20x faster, the ETL faster than raw Dask, and the 100k fan-out within 1.05.
FANOUT_BOUND = 1.15
CHAIN_N, CHAIN_BOUND = 1_000, 0.05
ETL_BOUND = 1.0
LARGE_FANOUT_N, LARGE_FANOUT_BOUND = 100_000, 1.05
#: Issue 15's bound on the driver of a 100k-task fan-out (DESIGN.md's first budget was 1 GB).
RSS_BUDGET_MB = 500.0
_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class BudgetLine:
    """One budget line: what was measured, against what limit, and whether it holds."""

    measure: str
    measured: float | None
    budget: float
    unit: str
    ok: bool
    detail: str = ""

    @property
    def measured_text(self) -> str:
        return "-" if self.measured is None else _fmt(self.measured, self.unit)

    @property
    def budget_text(self) -> str:
        return f"<= {_fmt(self.budget, self.unit)}"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "measured_text": self.measured_text, "budget_text": self.budget_text}


def _fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.3f}"
    if unit == "µs":
        return f"{value:.1f} µs"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "MB":
        return f"{value:,.0f} MB"
    if unit == "ms":
        return f"{value:.1f} ms"
    return f"{value:g} {unit}"


# -- ratio --------------------------------------------------------------------------


def check_ratios(
    results: Sequence[Result],
    repeat: int,
    cluster: Any,
    options: dict[str, Any],
    log: Callable[[str], None],
    fanout_n: int = 10_000,
    etl_n: int = 200,
) -> list[BudgetLine]:
    """daskflow / raw for each shape with a ratio budget, reusing this run's suite results when it has them.

    The 100k fan-out's line comes only from a suite run that timed it (it takes minutes a run).
    """
    wanted = [("fanout", fanout_n, FANOUT_BOUND), ("chain", CHAIN_N, CHAIN_BOUND), ("etl", etl_n, ETL_BOUND)]
    if any(r.shape == "fanout" and r.n == LARGE_FANOUT_N for r in results):
        wanted.append(("fanout", LARGE_FANOUT_N, LARGE_FANOUT_BOUND))
    missing = [(s, n) for s, n, _ in wanted if not any(r.shape == s and r.n == n for r in results)]
    measured = list(results)
    if missing:
        runners = open_runners(cluster, prefect=False)
        try:
            for name, n in missing:
                measured.append(measure(SHAPES[name], n, runners, repeat, options, 0, log))
        finally:
            close_runners(runners)
    lines = []
    for name, n, bound in wanted:
        r = next(r for r in measured if r.shape == name and r.n == n)
        ratio = r.ratio
        assert ratio is not None
        detail = f"median of {len(r.times['raw'])}: raw {r.median('raw'):.3f} s, daskflow {r.median('daskflow'):.3f} s"
        if r.unfused_ratio is not None:
            detail += f", unfused {r.median('unfused'):.3f} s ({r.unfused_ratio:.3f}x)"
        lines.append(BudgetLine(f"daskflow / raw Dask, {name} n={n:,}", ratio, bound, "x", ratio <= bound, detail))
    return lines


# -- local ----------------------------------------------------------------------------

_noop_task = task(work.noop)


@flow
def _noops(n: int) -> None:
    for i in range(n):
        _noop_task(i)


def _local_per_task(n: int, repeat: int) -> tuple[list[float], list[float]]:
    """Wall and CPU µs per no-op task: a flow of ``n`` calls on ``LocalExecutor()`` minus ``n`` plain calls."""
    executor = LocalExecutor()
    _noops.run(10, executor=executor)  # first call imports pydantic for parameter validation
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        run = _noops.run(n, executor=executor)
        flow_time, flow_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        assert run.is_completed and len(run.task_runs) == n
        del run
        start, start_cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            work.noop(i)
        plain, plain_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        wall.append((flow_time - plain) / n * 1e6)
        cpu.append((flow_cpu - plain_cpu) / n * 1e6)
    return wall, cpu


def check_local(n: int, repeat: int) -> BudgetLine:
    """Per no-op task, as users run it (run store recording on), with the recording-off figure beside it.

    Measured in a fresh interpreter (``benchmarks.probe local``), as a user's script would run.
    """
    found = _probe("local", "--n", str(n), "--repeat", str(repeat))
    wall, cpu = found["wall"], found["cpu"]
    value = statistics.median(wall)
    detail = (
        f"median of {repeat} flows of {n:,} no-op tasks in a fresh interpreter, recording on: runs "
        + ", ".join(f"{v:.1f}" for v in wall)
        + f", CPU {statistics.median(cpu):.1f} µs; "
        f"recording off (DASKFLOW_RECORD=0): wall {statistics.median(found['wall_off']):.1f} µs, "
        f"CPU {statistics.median(found['cpu_off']):.1f} µs; load average {os.getloadavg()[0]:.1f}"
    )
    return BudgetLine("LocalExecutor (sync) overhead per no-op task", value, 30.0, "µs", value <= 30.0, detail)


# -- subprocess probes ------------------------------------------------------------------


def _probe(*args: str, timeout: float = 1800) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.probe", *args],
        cwd=_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"probe {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def check_import(repeat: int) -> BudgetLine:
    runs = [_probe("import") for _ in range(repeat)]
    value = statistics.median(r["seconds"] for r in runs)
    leaked = sorted({m for r in runs for m in r["heavy"]})
    ok = value <= 0.2 and not any(m == "distributed" for m in leaked)
    detail = (
        f"median of {repeat} fresh interpreters; runs: "
        + ", ".join(f"{r['seconds']:.3f}" for r in runs)
        + f"; also imported: {', '.join(leaked) or 'none of distributed, pydantic, numpy'}"
    )
    return BudgetLine("from orchestrator import flow, task (no distributed)", value, 0.2, "s", ok, detail)


def check_startup(repeat: int, loops: int = 100, imports: int = 10) -> list[BudgetLine]:
    """Issue 15's start-up budgets, each measured side by side with raw Dask (``benchmarks.startup``)."""
    from . import startup

    i = startup.import_ratio(imports)
    ratio = i["ratios"]["flow, task"]
    lines = [
        BudgetLine("from orchestrator import flow, task / import dask", ratio, 1.10, "x", ratio <= 1.10,
                   f"median of {imports} fresh interpreters each: {i['medians']['flow, task']:.3f} s against "
                   f"{i['medians']['dask']:.3f} s; import orchestrator alone {i['medians']['orchestrator']:.3f} s"),
    ]  # fmt: skip
    f = startup.first_task(repeat)
    detail = f"median of {repeat} each: daskflow {f['daskflow']:.3f} s, raw LocalCluster() + submit {f['raw']:.3f} s"
    ok = f["difference"] <= 0.2
    lines.append(BudgetLine("process start to first task, daskflow - raw Dask", f["difference"], 0.2, "s", ok, detail))
    o = startup.one_task(loops)
    detail = f"median of {loops} in a loop; raw Dask submit().result() {o['raw_ms']:.1f} ms"
    ok = o["daskflow_ms"] <= 20.0
    lines.append(BudgetLine("one-task flow run on a started cluster", o["daskflow_ms"], 20.0, "ms", ok, detail))
    return lines


def check_rss(cluster: Any, n: int, reference: bool) -> BudgetLine:
    """Peak RSS of a driver process that runs an ``n``-task fan-out on ``cluster``."""
    out = _probe("rss", "--address", cluster.scheduler_address, "--n", str(n), "--runner", "daskflow")
    detail = (
        f"fan-out of {n:,} tasks in {out['seconds']:.1f} s; {out['bytes_per_node'] / 1024:.2f} KiB per node "
        f"above the {out['before_mb']:.0f} MB held before the flow"
    )
    if reference:
        raw = _probe("rss", "--address", cluster.scheduler_address, "--n", str(n), "--runner", "raw")
        detail += (
            f"; raw Dask driver: {raw['maxrss_mb']:,.0f} MB in {raw['seconds']:.1f} s, "
            f"{raw['bytes_per_node'] / 1024:.2f} KiB per node"
        )
    value = float(out["maxrss_mb"])
    ok = value <= RSS_BUDGET_MB
    return BudgetLine(f"driver peak RSS, {n:,}-task fan-out", value, RSS_BUDGET_MB, "MB", ok, detail)


# -- etl under a memory limit ---------------------------------------------------------------


def _managed_bytes(dask_scheduler: Any) -> int:
    return sum(ws.nbytes for ws in dask_scheduler.workers.values())


def _workers(dask_scheduler: Any) -> list[str]:
    return sorted(dask_scheduler.workers)


class _PeakSampler:
    """Polls the cluster's managed bytes on a thread; ``peak`` is the highest seen."""

    def __init__(self, client: Any, period: float = 0.05) -> None:
        self.client, self.period, self.peak = client, period, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="peak-sampler", daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.client.run_on_scheduler(_managed_bytes))
            self._stop.wait(self.period)

    def __enter__(self) -> _PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def check_etl(partitions: int, partition_mb: float, memory_limit: str = "1GB") -> BudgetLine:
    from distributed import Client

    from executors import DaskExecutor

    floats = etl_floats(partition_mb)
    all_bytes = partitions * floats * 8
    with bench_cluster(memory_limit=memory_limit) as cluster, Client(cluster, set_as_default=False) as client:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        try:
            before = client.run_on_scheduler(_workers)
            etl_flow.run(4, floats, executor=executor).result()  # warm-up
            wait_idle(client)
            start = time.perf_counter()
            with _PeakSampler(client) as sampler:
                run = etl_flow.run(partitions, floats, executor=executor)
            elapsed = time.perf_counter() - start
            after = client.run_on_scheduler(_workers)
        finally:
            executor.client.close()
    completed = run.is_completed
    peak_mb, all_mb = sampler.peak / 2**20, all_bytes / 2**20
    ok = completed and sampler.peak < all_bytes and before == after
    detail = (
        f"{'completed' if completed else run.state.value} in {elapsed:.1f} s; peak managed "
        f"{peak_mb:,.0f} MB of {all_mb:,.0f} MB extracted ({partitions} x {partition_mb:g} MB, "
        f"transform doubles it); workers {'unchanged' if before == after else 'RESTARTED'}"
    )
    return BudgetLine(f"ETL with workers memory_limit={memory_limit}: peak held", peak_mb, all_mb, "MB", ok, detail)


# -- all of it ----------------------------------------------------------------------------


def run_budget(
    checks: Sequence[str],
    results: Sequence[Result] = (),
    repeat: int = 5,
    options: dict[str, Any] | None = None,
    rss_n: int = 100_000,
    rss_reference: bool = False,
    etl_partitions: int = 200,
    partition_mb: float = 5.0,
    fanout_n: int = 10_000,
    worker_saturation: float | None = None,
    log: Callable[[str], None] = print,
) -> list[BudgetLine]:
    options = options or {}
    lines: list[BudgetLine] = []
    if "import" in checks:
        log("budget: from orchestrator import flow, task")
        lines.append(check_import(max(repeat, 5)))
    if "startup" in checks:
        log("budget: start-up against raw Dask (fresh processes)")
        lines.extend(check_startup(max(repeat, 5)))
    if "local" in checks:
        log("budget: LocalExecutor overhead")
        lines.append(check_local(20_000, max(repeat, 5)))
    if "etl" in checks:
        log(f"budget: ETL {etl_partitions} x {partition_mb:g} MB under memory_limit=1GB")
        lines.append(check_etl(etl_partitions, partition_mb))
    if "ratio" in checks or "rss" in checks:
        with bench_cluster(worker_saturation=worker_saturation) as cluster:
            if "ratio" in checks:
                log("budget: daskflow / raw ratios")
                lines.extend(check_ratios(results, repeat, cluster, options, log, fanout_n, etl_partitions))
            if "rss" in checks:
                log(f"budget: driver RSS, {rss_n:,}-task fan-out (subprocess)")
                lines.append(check_rss(cluster, rss_n, rss_reference))
    return lines
