"""Prefect 1: arithmetic, comparison and indexing on task results and Parameters build tasks; nout unpacks.

Expected output:
    15
    [3, 4]
    True
    (2, 8)
"""

from orchestrator.compat.prefect import Flow, Parameter, task


@task
def five():
    return 5


@task
def pair():
    return [3, 4]


@task(nout=2)
def min_max(xs):
    return min(xs), max(xs)


with Flow("operators") as flow:
    ten = Parameter("ten", default=10)
    total = five() + ten
    values = pair()
    first = values[0]
    big = total > first
    low, high = min_max([2, 8, 5])

state = flow.run()
print(state.result[total].result)
print(state.result[values].result)
print(state.result[big].result)
print((state.result[low].result, state.result[high].result))
