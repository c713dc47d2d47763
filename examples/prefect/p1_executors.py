"""Prefect 1: the same flow on LocalDaskExecutor threads and on a DaskExecutor LocalCluster.

Expected output:
    [1, 4, 9, 16]
    [1, 4, 9, 16]
    True
"""

from orchestrator.compat.prefect import Flow, task
from orchestrator.compat.prefect.executors import DaskExecutor, LocalDaskExecutor


@task
def square(x):
    return x * x


with Flow("squares") as flow:
    squares = square.map([1, 2, 3, 4])

threaded = flow.run(executor=LocalDaskExecutor(scheduler="threads", num_workers=4))
print(threaded.result[squares].result)

flow.executor = DaskExecutor(cluster_kwargs={"n_workers": 2, "threads_per_worker": 1})
on_dask = flow.run()
print(on_dask.result[squares].result)
print(on_dask.is_successful())
