"""Prefect 1: the classic extract-transform-load, reading results off the flow run's state.

Expected output:
    Here's your data: [10, 20, 30]
    60
    True
"""

from orchestrator.compat.prefect import Flow, task


@task
def extract():
    return [1, 2, 3]


@task
def transform(data):
    return [i * 10 for i in data]


@task
def load(data):
    print(f"Here's your data: {data}")
    return sum(data)


with Flow("ETL") as flow:
    e = extract()
    t = transform(e)
    l = load(t)  # noqa: E741 - the tutorial's name

state = flow.run()
print(state.result[l].result)
print(state.result[e].is_successful())
