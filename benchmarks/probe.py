"""Measurements that need a fresh interpreter; ``benchmarks.budget`` runs them as subprocesses.

``python -m benchmarks.probe import`` times ``from orchestrator import flow,
task`` (what a flow file starts with: the package root alone loads its names
lazily and costs nothing) and lists which heavy packages came with it. ``python -m benchmarks.probe rss
--address A --n N --runner daskflow|raw`` runs an N-task fan-out against the
scheduler at A and reports the process's peak RSS. ``python -m benchmarks.probe
local --n N --repeat R`` times flows of N no-op tasks on ``LocalExecutor()``,
recording on and off, away from the clusters the suite leaves in its own
process (their threads and garbage slowed this figure by half). Each prints
one JSON line.
Nothing heavy is imported at module level, so the import timing is clean.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any

_HEAVY = ("distributed", "pydantic", "numpy", "pandas", "tornado")


def probe_import() -> dict[str, Any]:
    start = time.perf_counter()
    from orchestrator import flow, task  # noqa: F401

    seconds = time.perf_counter() - start
    return {"seconds": seconds, "heavy": [m for m in _HEAVY if m in sys.modules]}


def probe_rss(address: str, n: int, runner: str) -> dict[str, Any]:
    from distributed import Client

    from executors import DaskExecutor

    from . import shapes

    # What the process holds before the flow (interpreter, dask, distributed, the harness), so that
    # (peak - before) / n is what each node of the flow cost the driver at its peak.
    before_mb = _current_rss_mb()
    start = time.perf_counter()
    if runner == "raw":
        with Client(address, set_as_default=False) as client:
            value = shapes.raw_fanout(client, n)
    else:
        executor = DaskExecutor(address=address)
        try:
            value = shapes.flow_fanout(executor, n)
        finally:
            executor.client.close()
    seconds = time.perf_counter() - start
    if value != n * (n - 1) // 2:
        raise AssertionError(f"fan-out of {n} returned {value!r}")
    maxrss_mb = _peak_rss_mb()
    per_node = (maxrss_mb - before_mb) * 1024 * 1024 / n
    return {"maxrss_mb": maxrss_mb, "before_mb": before_mb, "bytes_per_node": per_node, "seconds": seconds,
            "n": n, "runner": runner}  # fmt: skip


def _peak_rss_mb() -> float:
    """This process's own peak RSS: ``VmHWM``, the high-water mark of its address space.

    Not ``getrusage().ru_maxrss``: Linux keeps that across ``execve``, so a probe
    started by a parent holding 700 MB reported the parent's 700 MB, whatever the
    probe itself used. ``VmHWM`` belongs to the address space ``execve`` made.
    """
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kilobytes
    raise RuntimeError("/proc/self/status has no VmHWM line")


def _current_rss_mb() -> float:
    with open("/proc/self/statm") as f:
        resident_pages = int(f.read().split()[1])
    return resident_pages * resource.getpagesize() / (1024 * 1024)


def probe_local(n: int, repeat: int) -> dict[str, Any]:
    import os

    from .budget import _local_per_task

    os.environ["DASKFLOW_RECORD"] = "1"
    wall, cpu = _local_per_task(n, repeat)
    os.environ["DASKFLOW_RECORD"] = "0"
    wall_off, cpu_off = _local_per_task(n, repeat)
    return {"wall": wall, "cpu": cpu, "wall_off": wall_off, "cpu_off": cpu_off}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.probe")
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("import")
    rss = sub.add_parser("rss")
    rss.add_argument("--address", required=True)
    rss.add_argument("--n", type=int, default=100_000)
    rss.add_argument("--runner", choices=("daskflow", "raw"), default="daskflow")
    local = sub.add_parser("local")
    local.add_argument("--n", type=int, default=20_000)
    local.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    if args.what == "import":
        out = probe_import()
    elif args.what == "local":
        out = probe_local(args.n, args.repeat)
    else:
        out = probe_rss(args.address, args.n, args.runner)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
