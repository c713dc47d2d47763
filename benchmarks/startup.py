"""Start-up costs against raw Dask, measured side by side in one run: import, process start to first task, one task.

* ``import``: ``import orchestrator`` against ``import dask``, each timed
  inside a fresh interpreter (``python -c``), interleaved; the median ratio.
* ``first-task``: from spawning a fresh interpreter to the first task's
  result: daskflow's one-task flow on its embedded cluster (recording on, as a
  user's script runs) against raw Dask's ``LocalCluster()`` plus ``submit``
  with the same cluster settings; interleaved, the difference of the medians.
  The time to close the cluster afterwards is not counted.
* ``one-task``: a one-task flow run on a cluster that is already up, the
  median of a loop of runs, beside raw Dask's ``client.submit(f).result()``
  on the same cluster.

Run it with::

    .venv/bin/python -m benchmarks.startup                 # all three, default repeats
    .venv/bin/python -m benchmarks.startup --only one-task --loops 100
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

__all__ = ["first_task", "import_ratio", "one_task"]

_IMPORT = "import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
_CLUSTER = "host='127.0.0.1', dashboard_address='127.0.0.1:0'"
_RAW_FIRST = f"""
from distributed import Client, LocalCluster
if __name__ == "__main__":
    client = Client(LocalCluster({_CLUSTER}), set_as_default=False)
    client.submit(lambda: 1).result()
    print("first", flush=True)
"""
_FLOW_FIRST = """
from orchestrator import flow, task
@task
def one() -> int:
    return 1
@flow
def single() -> int:
    return one()
if __name__ == "__main__":
    single()
    print("first", flush=True)
"""


def _env() -> dict[str, str]:
    # A user's interpreter caches bytecode; without it every import recompiles (some sandboxes set this).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.setdefault("DASKFLOW_HOME", tempfile.mkdtemp(prefix="daskflow-startup-"))
    env["DASKFLOW_LOGGING_CONSOLE"] = "0"
    return env


def _timed_import(module: str) -> float:
    out = subprocess.run([sys.executable, "-c", _IMPORT.format(module=module)], capture_output=True, text=True,
                         check=True, env=_env())  # fmt: skip
    return float(out.stdout.strip())


def import_ratio(repeat: int = 10) -> dict[str, Any]:
    """Median seconds of ``import orchestrator`` and ``import dask`` in fresh interpreters, interleaved."""
    ours, dask = [], []
    for _ in range(repeat):
        ours.append(_timed_import("orchestrator"))
        dask.append(_timed_import("dask"))
    mine, theirs = statistics.median(ours), statistics.median(dask)
    return {"orchestrator": mine, "dask": theirs, "ratio": mine / theirs, "runs": {"orchestrator": ours, "dask": dask}}


def _until_first(code: str, workdir: str) -> float:
    script = os.path.join(workdir, "first.py")
    with open(script, "w") as f:
        f.write(code)
    start = time.perf_counter()
    process = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True, cwd=workdir, env=_env())  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        elapsed = time.perf_counter() - start
        if line.strip() != "first":
            raise RuntimeError(f"the start-up probe did not reach its first task (got {line!r})")
        return elapsed
    finally:
        process.wait(120)


def first_task(repeat: int = 5) -> dict[str, Any]:
    """Seconds from process start to the first task's result: daskflow and raw Dask, interleaved."""
    workdir = tempfile.mkdtemp(prefix="daskflow-first-")
    raw, ours = [], []
    for i in range(repeat):
        for which in ("raw", "daskflow") if i % 2 == 0 else ("daskflow", "raw"):
            (raw if which == "raw" else ours).append(
                _until_first(_RAW_FIRST if which == "raw" else _FLOW_FIRST, workdir)
            )
    r, o = statistics.median(raw), statistics.median(ours)
    return {"raw": r, "daskflow": o, "difference": o - r, "runs": {"raw": raw, "daskflow": ours}}


def one_task(loops: int = 100) -> dict[str, Any]:
    """Median milliseconds of a one-task flow run on a started cluster, and of raw ``submit().result()``."""
    from distributed import LocalCluster

    from executors import DaskExecutor
    from orchestrator import flow, task

    @task
    def one() -> int:
        return 1

    @flow
    def single() -> int:
        return one()

    os.environ.update({k: v for k, v in _env().items() if k.startswith("DASKFLOW_")})
    with LocalCluster(host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
        executor = DaskExecutor(cluster=cluster)
        executor.start()
        run = single.with_options(executor=executor)
        client = executor.client

        def raw() -> int:
            return int(client.submit(_one, pure=False).result())

        ours = _loop(run, loops)
        theirs = _loop(raw, loops)
        client.close()
    return {"daskflow_ms": ours, "raw_ms": theirs}


def _one() -> int:
    return 1


def _loop(call: Callable[[], Any], loops: int) -> float:
    for _ in range(5):
        call()
    times = []
    for _ in range(loops):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("import", "first-task", "one-task"))
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per side for first-task")
    parser.add_argument("--imports", type=int, default=10, help="fresh processes per side for import")
    parser.add_argument("--loops", type=int, default=100, help="runs in the one-task loop")
    args = parser.parse_args()
    if args.only in (None, "import"):
        i = import_ratio(args.imports)
        print(f"import: orchestrator {i['orchestrator']:.3f} s, dask {i['dask']:.3f} s, "
              f"ratio {i['ratio']:.3f} (budget <= 1.10), median of {args.imports}")  # fmt: skip
    if args.only in (None, "first-task"):
        f = first_task(args.repeat)
        print(f"process start to first task: daskflow {f['daskflow']:.3f} s, raw Dask {f['raw']:.3f} s, "
              f"difference {f['difference']:+.3f} s (budget <= +0.200), median of {args.repeat}")  # fmt: skip
    if args.only in (None, "one-task"):
        o = one_task(args.loops)
        print(f"one-task flow run on a started cluster: {o['daskflow_ms']:.1f} ms (budget <= 20 ms), "
              f"raw Dask submit {o['raw_ms']:.1f} ms, median of {args.loops}")  # fmt: skip


if __name__ == "__main__":
    main()
