"""Prefect 1: map a task over a list, keep one argument unmapped, and reduce the results.

Expected output:
    [11, 12, 13]
    36
    3
"""

from orchestrator.compat.prefect import Flow, Parameter, task, unmapped


@task
def numbers():
    return [1, 2, 3]


@task
def add(x, y):
    return x + y


@task
def total(xs):
    return sum(xs)


with Flow("mapping") as flow:
    offset = Parameter("offset", default=10)
    added = add.map(numbers(), unmapped(offset))
    result = total(added)

state = flow.run()
print(state.result[added].result)
print(state.result[result].result)
print(len(state.result[added].map_states))
