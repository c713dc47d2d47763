"""An ETL-shaped flow of about 1,000 tasks: what ``daskflow demo`` runs.

extract pulls the day's partition ids, then each partition is read,
cleaned and summarised by its own chain of tasks, and load adds the
summaries up; each step logs what it did (``daskflow runs logs RUN_ID``, or
the dashboard's Logs tab). Run it with ``daskflow demo`` or ``python
examples/etl.py``.
"""

from __future__ import annotations

import random

from orchestrator import flow, get_run_logger, task


@task
def extract(day: str, partitions: int) -> list[int]:
    """Partition ids for the day (a real job would list files or table shards)."""
    get_run_logger().info("%s: %d partitions to read", day, partitions)
    return list(range(partitions))


@task
def read(day: str, partition: int) -> list[float]:
    rng = random.Random(f"{day}-{partition}")
    return [rng.uniform(0, 100) for _ in range(200)]


@task(retries=2, retry_delay=0.1)
def clean(rows: list[float]) -> list[float]:
    return [round(r, 2) for r in rows if r >= 1.0]


@task
def summarise(rows: list[float]) -> dict[str, float]:
    get_run_logger().info("summarised %d rows", len(rows))
    return {"rows": float(len(rows)), "total": sum(rows)}


@task
def load(summaries: list[dict[str, float]]) -> dict[str, float]:
    get_run_logger().info("loading %d partition summaries", len(summaries))
    return {
        "partitions": float(len(summaries)),
        "rows": sum(s["rows"] for s in summaries),
        "total": round(sum(s["total"] for s in summaries), 2),
    }


@flow
def etl(day: str = "2026-11-21", partitions: int = 333) -> dict[str, float]:
    """1 extract + 3 tasks per partition + 1 load: 1,001 tasks by default."""
    ids = extract(day, partitions)
    summaries = [summarise(clean(read(day, p))) for p in ids.result()]
    return load(summaries)


if __name__ == "__main__":
    print(etl())
