"""What recording a run costs: a 10,000-task fan-out with the run store on and off.

Both variants run the same flow on one ``LocalCluster(n_workers=2,
threads_per_worker=1)`` bound to 127.0.0.1, interleaved (off, on, off, on, ...)
so drift on a noisy machine hits both alike, after one warm-up run of each;
each round swaps which variant goes first. Two figures, each the ratio of the
medians: wall-clock time per flow run, and the driver process's CPU time per
run (the recorder's thread, the event handling and the Dask client), which a
busy machine disturbs far less than wall-clock time. Each recorded run also
prints its recorder thread's own CPU time, the direct cost of writing.

Recording on means the whole event path: the driver's recorder queues every
state event and hands it, in batches, to the writer child process that
commits it to ``$DASKFLOW_HOME/daskflow.db`` (a temporary directory here),
and heartbeats. The child's own CPU time is printed beside the recorder
thread's; it runs on another core and is not part of the driver's.
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
from pathlib import Path
from typing import Any

from orchestrator import flow, task
from orchestrator.engine.observers import add_run_observer
from orchestrator.history.recorder import Recorder
from orchestrator.history.store import default_store_path, writer


@task
def noop(i: int) -> int:
    return i


@flow
def fan_out(n: int) -> None:
    noop.map(range(n))


RECORDERS: list[Recorder] = []


def _keep_recorder(engine: Any) -> None:
    RECORDERS.extend(
        listener.__self__ for listener in engine.listeners if isinstance(getattr(listener, "__self__", None), Recorder)
    )


def _one(executor: Any, tasks: int, record: bool) -> tuple[float, float]:
    """Wall-clock and driver CPU seconds of one flow run."""
    os.environ["DASKFLOW_RECORD"] = "1" if record else "0"
    RECORDERS.clear()
    child_before = _writer_child_cpu()
    started, cpu = time.perf_counter(), time.process_time()
    with add_run_observer(_keep_recorder):
        run = fan_out.run(tasks, executor=executor)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if not run.is_completed or len(run.task_runs) != tasks:
        raise SystemExit(f"benchmark run failed: {run!r} {run.message}")
    if RECORDERS:
        child = _writer_child_cpu() - child_before
        print(
            f"  recorder thread CPU {RECORDERS[0].cpu_seconds:.3f} s, writer child CPU {child:.3f} s "
            f"for {tasks} events",
            flush=True,
        )
    return elapsed, cpu


def _writer_child_cpu() -> float:
    """CPU seconds used so far by the store's writer child process (0 if none; Linux /proc)."""
    child = writer._WRITERS.get(os.fspath(default_store_path()))
    process = child._process if child is not None else None
    if process is None:
        return 0.0
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


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
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address="127.0.0.1:0", processes=True
    ) as cluster:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        _one(executor, args.tasks, False)
        _one(executor, args.tasks, True)
        times: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
        for i in range(args.repeats):
            for record in (False, True) if i % 2 == 0 else (True, False):
                times[record].append(_one(executor, args.tasks, record))
            (off_wall, off_cpu), (on_wall, on_cpu) = times[False][-1], times[True][-1]
            print(
                f"round {i + 1}: off {off_wall:.3f} s (driver CPU {off_cpu:.3f} s), "
                f"on {on_wall:.3f} s (driver CPU {on_cpu:.3f} s)",
                flush=True,
            )
        executor.client.close()
    print(f"{args.tasks} tasks, median of {args.repeats}, LocalCluster 2 workers x 1 thread")
    for label, index in (("wall-clock", 0), ("driver CPU", 1)):
        off = statistics.median(t[index] for t in times[False])
        on = statistics.median(t[index] for t in times[True])
        print(
            f"{label:>10}: off {off:.3f} s ({off / args.tasks * 1e3:.3f} ms/task), "
            f"on {on:.3f} s ({on / args.tasks * 1e3:.3f} ms/task): {(on / off - 1) * 100:+.1f}% (budget +5%)"
        )
    print(f"store: {home}/daskflow.db")


if __name__ == "__main__":
    main()
