"""Prefect 3: choosing task runners, and tags on task runs with the tags() context manager.

Expected output:
    sequential: ['a', 'b', 'c']
    threads: ['a', 'b', 'c']
    tagged run: Completed
"""

from orchestrator.compat.prefect import flow, tags, task
from orchestrator.compat.prefect.task_runners import SequentialTaskRunner, ThreadPoolTaskRunner


@task
def upper(s: str) -> str:
    return s.lower()


@flow(task_runner=SequentialTaskRunner())
def sequential() -> list[str]:
    return [upper(s) for s in "ABC"]


@flow(task_runner=ThreadPoolTaskRunner(max_workers=3))
def threaded() -> list[str]:
    futures = upper.map(list("ABC"))
    return [f.result() for f in futures]


@task(tags=["etl"])
def tagged() -> None:
    pass


@flow
def with_tags() -> str:
    with tags("nightly"):
        future = tagged.submit()
    return future.wait().name


if __name__ == "__main__":
    print(f"sequential: {sequential()}")
    print(f"threads: {threaded()}")
    print(f"tagged run: {with_tags()}")
