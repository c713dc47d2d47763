"""Prefect 1: map over the concatenation of mapped lists with flatten().

Expected output:
    [0, 0, 1, 0, 1, 2]
"""

from orchestrator.compat.prefect import Flow, flatten, task


@task
def ranges():
    return [1, 2, 3]


@task
def count_up(n):
    return list(range(n))


@task
def identity(x):
    return x


with Flow("flatten") as flow:
    nested = count_up.map(ranges())
    flat = identity.map(flatten(nested))

state = flow.run()
print(state.result[flat].result)
