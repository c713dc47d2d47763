"""What recording a run costs: a 10,000-task fan-out with the run store on and off.

Both variants run the same flow on one ``LocalCluster(n_workers=2,
threads_per_worker=1)`` bound to 127.0.0.1, interleaved (off, on, off, on, ...)
so drift on a noisy machine hits both alike, after one warm-up run of each.
The figure is the ratio of the medians of wall-clock time per flow run.

Recording on means the whole event path: the driver's recorder queues every
state event and writes it to ``$DASKFLOW_HOME/daskflow.db`` (a temporary
directory here) in batched transactions from its thread, and heartbeats.
Recording off is ``DASKFLOW_RECORD=0``. Run it with::

    .venv/bin/python -m benchmarks.event_overhead            # 10,000 tasks, median of 5
    .venv/bin/python -m benchmarks.event_overhead --tasks 2000 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from typing import Any

from orchestrator import flow, task


@task
def noop(i: int) -> int:
    return i


@flow
def fan_out(n: int) -> None:
    noop.map(range(n))


def _one(executor: Any, tasks: int, record: bool) -> float:
    os.environ["DASKFLOW_RECORD"] = "1" if record else "0"
    started = time.perf_counter()
    run = fan_out.run(tasks, executor=executor)
    elapsed = time.perf_counter() - started
    if not run.is_completed or len(run.task_runs) != tasks:
        raise SystemExit(f"benchmark run failed: {run!r} {run.message}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from distributed import LocalCluster

    from executors import DaskExecutor

    home = tempfile.mkdtemp(prefix="daskflow-bench-")
    os.environ["DASKFLOW_HOME"] = home
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None, processes=True
    ) as cluster:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        _one(executor, args.tasks, False)
        _one(executor, args.tasks, True)
        times: dict[bool, list[float]] = {False: [], True: []}
        for i in range(args.repeats):
            for record in (False, True):
                times[record].append(_one(executor, args.tasks, record))
            print(f"round {i + 1}: off {times[False][-1]:.3f} s, on {times[True][-1]:.3f} s", flush=True)
        executor.client.close()
    off, on = statistics.median(times[False]), statistics.median(times[True])
    print(f"{args.tasks} tasks, median of {args.repeats}, LocalCluster 2 workers x 1 thread")
    print(f"recording off: {off:.3f} s ({off / args.tasks * 1e3:.3f} ms/task)")
    print(f"recording on:  {on:.3f} s ({on / args.tasks * 1e3:.3f} ms/task)")
    print(f"event-path overhead: {(on / off - 1) * 100:+.1f}% (budget +5%)")
    print(f"store: {home}/daskflow.db")


if __name__ == "__main__":
    main()
