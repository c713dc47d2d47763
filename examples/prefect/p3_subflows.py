"""Prefect 3: flows call flows; futures and results pass into subflows as parameters.

Expected output:
    cleaned 3 records
    report: 3 records, total 60
"""

from orchestrator.compat.prefect import flow, task


@task
def fetch() -> list[int]:
    return [10, 20, 30]


@task
def clean(records: list[int]) -> list[int]:
    return [r for r in records if r > 0]


@flow
def cleaning(records: list[int]) -> list[int]:
    cleaned = clean(records)
    print(f"cleaned {len(cleaned)} records")
    return cleaned


@flow
def reporting(records: list[int]) -> str:
    return f"report: {len(records)} records, total {sum(records)}"


@flow
def pipeline() -> str:
    raw = fetch.submit()
    cleaned = cleaning(raw)  # a future as a subflow's parameter
    return reporting(cleaned)


if __name__ == "__main__":
    print(pipeline())
