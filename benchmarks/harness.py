"""Timing: one shared cluster, runners interleaved run by run, medians.

For each (shape, size) the harness warms every runner up once at a small
size (functions shipped, modules imported on the workers), then runs the
repeats interleaved: raw Dask, daskflow (and daskflow with chain fusion off,
for the shapes fusion changes), Prefect, with the order rotated
each repeat so neither side always runs right after the other. Before every
timed run it waits until the scheduler has forgotten the previous run's
tasks, so cleanup never bleeds into the next measurement. Every run's value
is compared with raw Dask's: a wrong answer aborts the benchmark.

The same ``LocalCluster(n_workers=2, threads_per_worker=1)``, bound to
127.0.0.1, serves every runner; each runner has its own client to it.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from .shapes import SHAPES, Shape

__all__ = ["Result", "bench_cluster", "measure", "run_suite", "wait_idle"]

RUNNERS = ("raw", "daskflow", "unfused", "prefect")


@dataclass
class Result:
    """The timings of one (shape, size) for every runner that ran, in seconds."""

    shape: str
    n: int
    tasks: int
    times: dict[str, list[float]] = field(default_factory=dict)

    def median(self, runner: str) -> float | None:
        runs = self.times.get(runner)
        return statistics.median(runs) if runs else None

    @property
    def ratio(self) -> float | None:
        raw, flow = self.median("raw"), self.median("daskflow")
        return None if raw is None or flow is None or raw == 0 else flow / raw

    @property
    def unfused_ratio(self) -> float | None:
        """daskflow with chain fusion off, over raw Dask (None if the shape was not timed unfused)."""
        raw, flow = self.median("raw"), self.median("unfused")
        return None if raw is None or flow is None or raw == 0 else flow / raw

    @property
    def added_us_per_task(self) -> float | None:
        raw, flow = self.median("raw"), self.median("daskflow")
        return None if raw is None or flow is None else (flow - raw) / self.tasks * 1e6

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out.update(
            medians={r: self.median(r) for r in self.times},
            ratio=self.ratio,
            unfused_ratio=self.unfused_ratio,
            added_us_per_task=self.added_us_per_task,
        )
        return out


@contextlib.contextmanager
def bench_cluster(
    n_workers: int = 2, memory_limit: str | float | None = "auto", worker_saturation: float | None = None
) -> Iterator[Any]:
    """A ``LocalCluster(n_workers, threads_per_worker=1)`` on 127.0.0.1, closed on exit."""
    import dask
    from distributed import LocalCluster

    settings = {} if worker_saturation is None else {"distributed.scheduler.worker-saturation": worker_saturation}
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
            memory_limit=memory_limit,
        )
    try:
        yield cluster
    finally:
        cluster.close()


def _scheduler_tasks(dask_scheduler: Any) -> int:
    return len(dask_scheduler.tasks)


def wait_idle(client: Any, timeout: float = 30.0) -> None:
    """Return once the scheduler holds no task (the previous run is fully released)."""
    gc.collect()
    deadline = time.monotonic() + timeout
    while client.run_on_scheduler(_scheduler_tasks) and time.monotonic() < deadline:
        time.sleep(0.05)


@dataclass
class Runners:
    """What one suite run talks to: a raw client, a daskflow executor, and Prefect if wanted."""

    client: Any
    executor: Any
    prefect: dict[str, Callable[..., Any]] | None
    address: str


def measure(
    shape: Shape,
    n: int,
    runners: Runners,
    repeat: int,
    options: dict[str, Any] | None = None,
    prefect_max_tasks: int = 0,
    log: Callable[[str], None] = print,
    prefect_repeat: int | None = None,
) -> Result:
    """Time ``shape`` at size ``n`` on every runner, interleaved, ``repeat`` times each."""
    options = options or {}
    calls: dict[str, Callable[[int], Any]] = {
        "raw": lambda size: shape.raw(runners.client, size, **options),
        "daskflow": lambda size: shape.daskflow(runners.executor, size, **options),
    }
    if shape.fusable:
        calls["unfused"] = lambda size: shape.daskflow(runners.executor, size, fuse=False, **options)
    prefect_run = (runners.prefect or {}).get(shape.name)
    if prefect_run is not None and shape.tasks(n) <= prefect_max_tasks:
        calls["prefect"] = lambda size: prefect_run(runners.address, size, **options)
    result = Result(shape.name, n, shape.tasks(n), {name: [] for name in calls})
    warm = min(n, 20)
    for call in calls.values():
        call(warm)
    names = list(calls)
    for rep in range(repeat):
        # Prefect costs ~100x per task: it may take part in only the first ``prefect_repeat`` rounds.
        active = [n for n in names if n != "prefect" or prefect_repeat is None or rep < prefect_repeat]
        order = active[rep % len(active) :] + active[: rep % len(active)]
        expected: Any = None
        for name in order:
            wait_idle(runners.client)
            start = time.perf_counter()
            value = calls[name](n)
            elapsed = time.perf_counter() - start
            if expected is None:
                expected = value
            elif value != expected:
                raise AssertionError(f"{shape.name} n={n}: {name} returned {value!r}, expected {expected!r}")
            result.times[name].append(elapsed)
        log(
            f"  {shape.name:<7} n={n:<7} run {rep + 1}/{repeat}: "
            + "  ".join(f"{name} {result.times[name][-1]:.3f}s" for name in active)
        )
    return result


def open_runners(cluster: Any, prefect: bool) -> Runners:
    """Clients for ``cluster``: one for raw Dask and a ``DaskExecutor`` for daskflow."""
    from distributed import Client

    from executors import DaskExecutor

    client = Client(cluster, set_as_default=False)
    executor = DaskExecutor(cluster=cluster)
    executor.start()
    prefect_shapes = None
    if prefect:
        from . import prefect_shapes as module

        prefect_shapes = module.available()
    return Runners(client, executor, prefect_shapes, cluster.scheduler_address)


def close_runners(runners: Runners) -> None:
    runners.executor.client.close()
    runners.client.close()


def run_suite(
    plan: Sequence[tuple[str, Sequence[int]]],
    repeat: int,
    large_repeat: int | None = None,
    large_threshold: int = 50_000,
    cluster: Any = None,
    prefect: bool = True,
    prefect_max_tasks: int = 1_000,
    prefect_repeat: int | None = None,
    options: dict[str, Any] | None = None,
    worker_saturation: float | None = None,
    log: Callable[[str], None] = print,
) -> list[Result]:
    """Measure every (shape, sizes) of ``plan``; shapes whose task count reaches
    ``large_threshold`` use ``large_repeat`` repeats instead of ``repeat``."""
    with contextlib.ExitStack() as stack:
        if cluster is None:
            cluster = stack.enter_context(bench_cluster(worker_saturation=worker_saturation))
        runners = open_runners(cluster, prefect)
        stack.callback(close_runners, runners)
        if runners.prefect is not None:
            log(f"prefect: {', '.join(sorted(runners.prefect))} (up to {prefect_max_tasks} tasks)")
        results = []
        for name, sizes in plan:
            shape = SHAPES[name]
            for n in sizes:
                big = shape.tasks(n) >= large_threshold and large_repeat is not None
                reps = large_repeat if big and large_repeat is not None else repeat
                results.append(measure(shape, n, runners, reps, options, prefect_max_tasks, log, prefect_repeat))
        return results
