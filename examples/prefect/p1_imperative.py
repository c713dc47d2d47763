"""Prefect 1: the imperative API: add_task, set_dependencies, set_upstream, and tasks passed uncalled.

Expected output:
    create table
    load rows
    count: 3
    True
"""

from orchestrator.compat.prefect import Flow, task


@task
def create_table():
    print("create table")


@task
def load_rows():
    print("load rows")
    return [1, 2, 3]


@task
def count(rows):
    print(f"count: {len(rows)}")


flow = Flow("imperative")
flow.add_task(create_table)
flow.set_dependencies(load_rows, upstream_tasks=[create_table])
with flow:
    count(load_rows)  # a task passed itself stands for its result
print(flow.run().is_successful())
