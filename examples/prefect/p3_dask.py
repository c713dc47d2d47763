"""Prefect 3 with prefect-dask: DaskTaskRunner on a LocalCluster, and get_dask_client inside a task.

Expected output:
    [0, 1, 4, 9, 16]
    30
    dask says 4950
"""

from orchestrator.compat.prefect import flow, task
from orchestrator.compat.prefect_dask import DaskTaskRunner, get_dask_client


@task
def square(x: int) -> int:
    return x * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@task
def with_dask() -> int:
    with get_dask_client() as client:
        return client.submit(sum, range(100)).result()


@flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1}))
def on_dask() -> None:
    squares = square.map(range(5))
    print([f.result() for f in squares])
    print(total(squares))
    print(f"dask says {with_dask()}")


if __name__ == "__main__":
    on_dask()
