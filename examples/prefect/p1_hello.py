"""Prefect 1: the smallest flow, built in a `with Flow` block and run with flow.run().

Expected output:
    Hello, world!
    True
    <Success: "All reference tasks succeeded.">
"""

from orchestrator.compat.prefect import Flow, task


@task
def say_hello():
    print("Hello, world!")


with Flow("hello-flow") as flow:
    say_hello()

state = flow.run()
print(state.is_successful())
print(state)
