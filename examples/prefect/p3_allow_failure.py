"""Prefect 3: allow_failure lets a downstream task run after a failure and see the exception.

Expected output:
    cleanup saw: ValueError('upstream broke')
    notified after the failure
    Failed
"""

from orchestrator.compat.prefect import allow_failure, flow, task


@task
def breaks() -> int:
    raise ValueError("upstream broke")


@task
def cleanup(result) -> str:
    return f"cleanup saw: {result!r}"


@task
def notify() -> str:
    return "notified after the failure"


@flow
def resilient() -> None:
    broken = breaks.submit()
    print(cleanup(allow_failure(broken)))
    print(notify.submit(wait_for=[allow_failure(broken)]).result())
    print(broken.state.name)


if __name__ == "__main__":
    resilient()
