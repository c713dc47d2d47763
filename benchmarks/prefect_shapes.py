"""The same workloads on Prefect 3 with ``prefect-dask``'s ``DaskTaskRunner``, for comparison.

Used only when ``prefect`` and ``prefect_dask`` are importable (the ``bench``
extra). Each measured run is one Prefect flow run whose task runner connects
to the benchmark's cluster by address, so the tasks run on the same workers
as raw Dask and daskflow. Prefect keeps its state in ``PREFECT_HOME``; unless
set, that is a temporary folder, and analytics are switched off.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from typing import Any

from . import work
from .shapes import WIDE_DEPTH, WIDE_FAN_IN, _wide_parents, etl_floats

__all__ = ["available", "configure_env"]


def configure_env() -> None:
    """Prefect's settings; call before the cluster starts, so its worker processes inherit them."""
    os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="daskflow-bench-prefect-"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


def available() -> dict[str, Callable[..., Any]]:
    """Shape name -> ``run(address, n, **options)``; importing Prefect happens here."""
    configure_env()
    from prefect import flow, task
    from prefect_dask import DaskTaskRunner

    noop_t, inc_t, total_t = task(work.noop), task(work.inc), task(work.total)
    combine_t, extract_t = task(work.combine), task(work.extract)
    transform_t, aggregate_t, load_t = task(work.transform), task(work.aggregate), task(work.load)

    def runner(address: str) -> DaskTaskRunner:
        return DaskTaskRunner(address=address)

    def fanout(address: str, n: int, **_: Any) -> Any:
        @flow(task_runner=runner(address), log_prints=False)
        def fanout_flow() -> Any:
            return total_t.submit(noop_t.map(range(n))).result()

        return fanout_flow()

    def chain(address: str, n: int, **_: Any) -> Any:
        @flow(task_runner=runner(address))
        def chain_flow() -> Any:
            x = noop_t.submit(0)
            for _ in range(1, n):
                x = inc_t.submit(x)
            return x.result()

        return chain_flow()

    def etl(address: str, n: int, partition_mb: float = 5.0, **_: Any) -> Any:
        floats = etl_floats(partition_mb)

        @flow(task_runner=runner(address))
        def etl_flow() -> Any:
            parts = [aggregate_t.submit(transform_t.submit(extract_t.submit(i, floats))) for i in range(n)]
            return load_t.submit(parts).result()

        return etl_flow()

    def wide(address: str, n: int, **_: Any) -> Any:
        width = max(n // WIDE_DEPTH, WIDE_FAN_IN)

        @flow(task_runner=runner(address))
        def wide_flow() -> Any:
            layer = [noop_t.submit(j) for j in range(width)]
            for _ in range(1, WIDE_DEPTH):
                layer = [combine_t.submit(*(layer[p] for p in _wide_parents(j, width))) for j in range(width)]
            return total_t.submit(layer).result()

        return wide_flow()

    return {"fanout": fanout, "chain": chain, "etl": etl, "wide": wide}
