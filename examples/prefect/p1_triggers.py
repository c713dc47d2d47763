"""Prefect 1: triggers run an alert only on failure and a cleanup always; reference tasks decide the run.

Expected output:
    alert: something failed upstream
    cleaning up
    False
    True
    True
    alert: something failed upstream
    cleaning up
    True
"""

from orchestrator.compat.prefect import Flow, task
from orchestrator.compat.prefect.triggers import all_finished, any_failed


@task
def risky():
    raise ValueError("the data is bad")


@task(trigger=any_failed)
def alert():
    print("alert: something failed upstream")


@task(trigger=all_finished)
def cleanup():
    print("cleaning up")


@task
def never_runs(x):
    return x


with Flow("triggers") as flow:
    r = risky()
    a = alert(upstream_tasks=[r])
    c = cleanup(upstream_tasks=[r])
    n = never_runs(r)

state = flow.run()
print(state.is_successful())
print(state.result[r].is_failed())
print(state.result[n].is_failed())  # TriggerFailed is a Failed state

flow.set_reference_tasks([a, c])
print(flow.run().is_successful())
