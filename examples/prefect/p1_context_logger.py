"""Prefect 1: prefect.context in tasks (the logger, the task's name, its map index) and log_stdout.

Expected output:
    ['describe 0 of squares', 'describe 1 of squares', 'describe 2 of squares']

Expected in logs:
    Task run 'log_it' - logging from log_it
    Task run 'shout' - SHOUTING
"""

import orchestrator.compat.prefect as prefect
from orchestrator.compat.prefect import Flow, task


@task
def log_it():
    logger = prefect.context.get("logger")
    logger.info("logging from %s", prefect.context["task_name"])


@task
def describe(x):
    return f"{prefect.context.task_name} {prefect.context.get('map_index')} of {prefect.context.flow_name}"


@task(log_stdout=True)
def shout():
    print("SHOUTING")


with Flow("squares") as flow:
    log_it()
    described = describe.map([10, 20, 30])
    shout()

state = flow.run()
print(state.result[described].result)
