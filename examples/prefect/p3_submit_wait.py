"""Prefect 3: submit tasks concurrently, then wait(), as_completed() and future.result().

Expected output:
    done 3, not done 0
    [1, 4, 9]
    6
    Completed
"""

from orchestrator.compat.prefect import flow, task
from orchestrator.compat.prefect.futures import as_completed, wait


@task
def square(x: int) -> int:
    return x * x


@task
def add(x: int, y: int) -> int:
    return x + y


@flow
def concurrent() -> None:
    futures = [square.submit(i) for i in (1, 2, 3)]
    done, not_done = wait(futures)
    print(f"done {len(done)}, not done {len(not_done)}")
    print(sorted(f.result() for f in as_completed(futures)))
    total = add.submit(futures[0], add.submit(2, 3))
    print(total.result())
    print(total.state.name)


if __name__ == "__main__":
    concurrent()
