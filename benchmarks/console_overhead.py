"""What showing run logs on the driver's console costs: a 10,000-task flow that logs a line per task.

Both variants run the same flow on one ``LocalCluster(n_workers=2,
threads_per_worker=1)`` bound to 127.0.0.1, interleaved (off, on, on, off,
...) after one warm-up run of each, so drift on a noisy machine hits both
alike. The console is on by default and off with ``DASKFLOW_LOGGING_CONSOLE=0``
(read at each run's start); either way every record travels to the driver and
the run store, so the difference is the console itself: collecting the
records, formatting them and writing them. They are written to a real file
(``sys.stderr`` points at one in a temporary directory), not to /dev/null.
The figure is the ratio of the medians of the wall-clock time per run::

    .venv/bin/python -m benchmarks.console_overhead                # 10,000 tasks, median of 5
    .venv/bin/python -m benchmarks.console_overhead --tasks 2000 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from typing import Any

from orchestrator import flow, get_run_logger, task


@task
def work(i: int) -> int:
    get_run_logger().info("processed item %d", i)
    return i


@flow
def logging_fan_out(n: int) -> None:
    work.map(range(n))


def _one(executor: Any, tasks: int, console: bool) -> float:
    os.environ["DASKFLOW_LOGGING_CONSOLE"] = "1" if console else "0"
    started = time.perf_counter()
    run = logging_fan_out.with_options(executor=executor).run(tasks)
    elapsed = time.perf_counter() - started
    if not run.is_completed:
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
    console_file = open(os.path.join(home, "console.log"), "w")  # noqa: SIM115 - open for the whole run
    real_stderr = sys.stderr
    with LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0", processes=True
    ) as cluster:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        sys.stderr = console_file
        try:
            _one(executor, args.tasks, False)
            _one(executor, args.tasks, True)
            times: dict[bool, list[float]] = {False: [], True: []}
            for i in range(args.repeats):
                for console in (False, True) if i % 2 == 0 else (True, False):
                    times[console].append(_one(executor, args.tasks, console))
                print(f"round {i + 1}: off {times[False][-1]:.3f} s, on {times[True][-1]:.3f} s", file=real_stderr)
        finally:
            sys.stderr = real_stderr
            console_file.close()
        executor.client.close()
    off, on = statistics.median(times[False]), statistics.median(times[True])
    lines = sum(1 for _ in open(os.path.join(home, "console.log")))  # noqa: SIM115
    print(f"{args.tasks} tasks logging one line each, median of {args.repeats}, LocalCluster 2 workers x 1 thread")
    print(f"console off {off:.3f} s, on {on:.3f} s: ratio {on / off:.3f}, {(on / off - 1) * 100:+.1f}% (budget +5%)")
    print(f"console lines written: {lines}")


if __name__ == "__main__":
    main()
