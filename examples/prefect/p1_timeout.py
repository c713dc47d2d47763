"""Prefect 1: a task that runs past its timeout ends TimedOut (a Failed state), and its dependents do not run.

Expected output:
    <TimedOut: "Task timed out during execution.">
    True
    False
"""

import time

from orchestrator.compat.prefect import Flow, task


@task(timeout=1)
def slow():
    time.sleep(30)


@task
def after(x):
    print("never printed")


with Flow("timeout") as flow:
    s = slow()
    a = after(s)

state = flow.run()
print(state.result[s])
print(state.result[s].is_failed())
print(state.is_successful())
