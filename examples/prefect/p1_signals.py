"""Prefect 1: signals end a task Skipped, Failed or Success from inside it; skips travel downstream.

Expected output:
    ran with None
    <Skipped: "no new files today">
    <Skipped: "Upstream task was skipped; if this was not the intended behavior, consider changing `skip_on_upstream_skip=False` for this task.">
    <Failed: "the checksum does not match">
    42
    False
"""

from orchestrator.compat.prefect import Flow, task
from orchestrator.compat.prefect.engine import signals


@task
def check_for_files():
    raise signals.SKIP("no new files today")


@task
def process(files):
    return len(files)


@task
def verify():
    raise signals.FAIL("the checksum does not match")


@task
def shortcut():
    raise signals.SUCCESS("already computed", result=42)


@task(skip_on_upstream_skip=False)
def summarise(x):
    print(f"ran with {x}")


with Flow("signals") as flow:
    files = check_for_files()
    processed = process(files)
    checked = verify()
    answer = shortcut()
    summary = summarise(files)

state = flow.run()
print(state.result[files])
print(state.result[processed])
print(state.result[checked])
print(state.result[answer].result)
print(state.is_successful())
