"""Run stores for the dashboard benchmark, written straight through the store API, fast.

``generate(path, runs=..., tasks=..., logs=...)`` writes:

* ``runs`` flow runs of three flows, one second apart, most Completed, some
  Failed or Cancelled, with parameters (the runs page's 100k), each created
  in its final state, one transaction apiece (about 0.3 ms each here);
* one big run (``BIG``) of ``tasks`` task runs: its graph recorded in flushes
  of 10,000 like the engine's, a chain of map stages (extract -> read ->
  clean -> summarise) on 8 worker lanes of 2 threads plus the driver's own,
  every 50th task retried once, every 997th failed (the 100k-task run);
* ``logs`` log lines in that run, one in a thousand at WARNING and one in
  ten thousand at ERROR (the logs page's 100k);
* a small Running run (``LIVE``) whose changes the latency check writes.

Task events go in batches of 5,000 and logs in batches of 10,000 (what the
driver's writer child does), so a 100k-task run takes seconds to generate.
"""

from __future__ import annotations

import random
import socket
import time
from pathlib import Path
from typing import Any, Final

from orchestrator.history.store import SQLiteStore

__all__ = ["BIG", "LIVE", "generate"]

BIG: Final = "big000000001"
LIVE: Final = "live00000001"
_FLOWS: Final = ("etl", "report", "train")
_STAGES: Final = ("extract", "read", "clean", "summarise")
_WORKERS: Final = tuple(f"tcp://10.0.0.{i}:4000{i}" for i in range(1, 9))


def generate(path: Path, runs: int, tasks: int, logs: int, seed: int = 7) -> dict[str, Any]:
    """Write the stores' contents to ``path`` (a new file); what was written, and how long it took."""
    rng = random.Random(seed)
    began = time.perf_counter()
    now = time.time()
    with SQLiteStore(path) as store:
        start = now - runs - 3600
        for i in range(runs):
            # Created in their final state: one transaction per run (a run store has no bulk insert).
            state = "Failed" if i % 17 == 0 else "Cancelled" if i % 101 == 0 else "Completed"
            params = {"day": f"2026-11-{1 + i % 28:02d}", "n": i % 100}
            store.create_flow_run(f"r{i:011d}", _FLOWS[i % 3], params, start + i, state=state)
        runs_seconds = time.perf_counter() - began
        _big_run(store, tasks, logs, now - 120, rng)
        store.create_flow_run(LIVE, "etl", {"day": "live"}, now, host=socket.gethostname(), pid=1)
    return {
        "runs": runs + 2,
        "tasks": tasks,
        "logs": logs,
        "seconds": time.perf_counter() - began,
        "runs_seconds": runs_seconds,
    }


def _big_run(store: SQLiteStore, tasks: int, logs: int, t0: float, rng: random.Random) -> None:
    store.create_flow_run(BIG, "etl", {"day": "2026-11-21", "partitions": tasks // 4}, t0, host="driver", pid=1)
    store.set_flow_run_info(
        BIG, {"scheduler": "tcp://10.0.0.100:8786", "dashboard": "http://10.0.0.100:8787/status", "executor": "Dask"}
    )
    per_stage = max(tasks // len(_STAGES), 1)
    keys = [f"{_STAGES[i // per_stage % len(_STAGES)]}-{BIG}-{i}" for i in range(tasks)]
    nodes = []
    for i, key in enumerate(keys):
        up = (keys[i - per_stage],) if i >= per_stage else ()
        nodes.append((key, key.split("-")[0], f"{key.split('-')[0]}[{i % per_stage}]", up))
    for i in range(0, tasks, 10_000):
        store.record_graph(BIG, nodes[i : i + 10_000])
    # Lanes: 8 workers x 2 threads, each thread running its tasks back to back over ~100 s.
    lanes = [(w, t) for w in (*_WORKERS, None) for t in range(2)]
    clock = {lane: t0 + 1.0 for lane in lanes}
    events: list[dict[str, Any]] = []
    for i, (key, task, name, _) in enumerate(nodes):
        lane = lanes[i % len(lanes)]
        start = clock[lane] + rng.uniform(0.0001, 0.002)
        duration = rng.expovariate(1 / 0.008)
        end = start + duration
        clock[lane] = end
        event = {"run": BIG, "key": key, "task": task, "name": name, "start": start, "end": end, "worker": lane[0]}
        if i % 50 == 0:
            events.append({**event, "state": "Retrying", "ts": start + duration / 2, "end": start + duration / 2})
        failed = i % 997 == 0
        events.append(
            {**event, "state": "Failed" if failed else "Completed", "ts": end, "attempt": 2 if i % 50 == 0 else 1,
             "error": {"type": "ValueError", "message": f"bad partition {i}", "traceback": "Traceback ...\n"}
             if failed else None}
        )  # fmt: skip
        if len(events) >= 5_000:
            store.record_task_events(events)
            events = []
    store.record_task_events(events)
    lines: list[dict[str, Any]] = []
    for j in range(logs):
        key, _, name, _ = nodes[j % len(nodes)]
        level = "ERROR" if j % 10_000 == 9_999 else "WARNING" if j % 1_000 == 999 else "INFO"
        message = f"partition {j}: read {rng.randrange(10_000)} rows from s3://bucket/day/part-{j:06d}.parquet"
        lines.append(
            {"run": BIG, "key": key, "name": name, "level": level, "ts": t0 + 1 + j / 1_000, "message": message}
        )
        if len(lines) >= 10_000:
            store.record_logs(lines)
            lines = []
    store.record_logs(lines)
    store.set_flow_run_state(BIG, "Failed", max(clock.values()) + 0.5, "some partitions failed")
