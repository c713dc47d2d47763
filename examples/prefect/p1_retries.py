"""Prefect 1: a flaky task with max_retries and a timedelta retry_delay succeeds on its third run.

Expected output:
    attempt 1
    attempt 2
    attempt 3
    ok after 3 attempts
    True
"""

from datetime import timedelta

from orchestrator.compat.prefect import Flow, task

ATTEMPTS = []


@task(max_retries=3, retry_delay=timedelta(seconds=0))
def flaky():
    ATTEMPTS.append(1)
    print(f"attempt {len(ATTEMPTS)}")
    if len(ATTEMPTS) < 3:
        raise ConnectionError("the service is not ready yet")
    return len(ATTEMPTS)


@task
def report(n):
    print(f"ok after {n} attempts")


with Flow("retries") as flow:
    report(flaky())

print(flow.run().is_successful())
