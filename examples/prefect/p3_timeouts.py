"""Prefect 3: timeout_seconds stops a task that hangs; the flow body sees a TimeoutError.

Expected output:
    timed out after 1 s
    fast result 1
"""

import time

from orchestrator.compat.prefect import flow, task


@task(timeout_seconds=1)
def hangs() -> None:
    time.sleep(60)


@task(timeout_seconds=5)
def fast() -> int:
    return 1


@flow
def with_timeouts() -> None:
    try:
        hangs()
    except TimeoutError:
        print("timed out after 1 s")
    print(f"fast result {fast()}")


if __name__ == "__main__":
    with_timeouts()
