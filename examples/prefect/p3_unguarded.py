"""Prefect 3: a script that runs its flow at module level, with no main guard (and on Dask, too).

Expected output:
    on threads: 6
    on dask: 6
"""

from orchestrator.compat.prefect import flow, task
from orchestrator.compat.prefect_dask import DaskTaskRunner


@task
def add(x: int, y: int) -> int:
    return x + y


@flow
def adding() -> int:
    return add(add(1, 2), 3)


print(f"on threads: {adding()}")
print(f"on dask: {adding.with_options(task_runner=DaskTaskRunner())()}")
