"""Prefect 3: an ETL flow with retries on the extract step and log_prints on the flow.

Expected output:
    {'rows': 3, 'total': 60}

Expected in logs:
    Flow run 'etl-
    - extracted 3 rows
    Task run 'transform' - transforming 3 rows
"""

from orchestrator.compat.prefect import flow, get_run_logger, task


@task(retries=3, retry_delay_seconds=0)
def extract() -> list[int]:
    return [1, 2, 3]


@task
def transform(rows: list[int]) -> list[int]:
    get_run_logger().info("transforming %d rows", len(rows))
    return [r * 10 for r in rows]


@task
def load(rows: list[int]) -> dict[str, int]:
    return {"rows": len(rows), "total": sum(rows)}


@flow(log_prints=True)
def etl() -> dict[str, int]:
    rows = extract()
    print(f"extracted {len(rows)} rows")
    return load(transform(rows))


if __name__ == "__main__":
    print(etl())
