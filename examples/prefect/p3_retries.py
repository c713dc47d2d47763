"""Prefect 3: retries with a list of delays, exponential_backoff, and a retry_condition_fn.

Expected output:
    succeeded on attempt 3
    gave up after 1 attempt: PermissionError
    2
"""

from orchestrator.compat.prefect import flow, task
from orchestrator.compat.prefect.tasks import exponential_backoff

CALLS = {"flaky": 0, "denied": 0, "backoff": 0}


@task(retries=4, retry_delay_seconds=[0, 0, 0, 0])
def flaky() -> int:
    CALLS["flaky"] += 1
    if CALLS["flaky"] < 3:
        raise TimeoutError("try again")
    return CALLS["flaky"]


def retry_unless_denied(task, task_run, state) -> bool:
    try:
        state.result()
    except PermissionError:
        return False
    except Exception:
        return True
    return False


@task(retries=5, retry_condition_fn=retry_unless_denied)
def denied() -> None:
    CALLS["denied"] += 1
    raise PermissionError("no access")


@task(retries=2, retry_delay_seconds=exponential_backoff(backoff_factor=0), retry_jitter_factor=0)
def backoff() -> int:
    CALLS["backoff"] += 1
    if CALLS["backoff"] < 2:
        raise RuntimeError("once")
    return CALLS["backoff"]


@flow
def retrying() -> None:
    print(f"succeeded on attempt {flaky()}")
    try:
        denied()
    except PermissionError as exc:
        print(f"gave up after {CALLS['denied']} attempt: {type(exc).__name__}")
    print(backoff())


if __name__ == "__main__":
    retrying()
