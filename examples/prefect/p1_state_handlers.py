"""Prefect 1: state handlers see every transition of a task and of the flow, and may replace a state.

Expected output:
    flow: Pending -> Running
    task say: Pending -> Running
    hello
    task say: Running -> Success
    task fragile: Pending -> Running
    task fragile: Running -> Failed
    flow: Running -> Success
    True
"""

from orchestrator.compat.prefect import Flow, task
from orchestrator.compat.prefect.engine.state import Success


def log_task(task, old_state, new_state):
    print(f"task {task.name}: {old_state.name} -> {new_state.name}")
    return new_state


def forgive(task, old_state, new_state):
    # A failure this handler knows to be harmless becomes a success.
    if new_state.is_failed():
        return Success("ignored a known failure", result=None)
    return new_state


def log_flow(flow, old_state, new_state):
    print(f"flow: {old_state.name} -> {new_state.name}")
    return new_state


@task(state_handlers=[log_task])
def say():
    print("hello")


@task(state_handlers=[log_task, forgive])
def fragile():
    raise RuntimeError("known flake")


with Flow("handled", state_handlers=[log_flow]) as flow:
    first = say()
    second = fragile(upstream_tasks=[first])

print(flow.run().is_successful())
