"""Prefect 1: Parameters with defaults, overridden per run by keyword or by a parameters dict.

Expected output:
    Hello, world!
    Hello, Marvin!
    Hello, Arthur, you are 42
"""

from orchestrator.compat.prefect import Flow, Parameter, task


@task
def greet(name, age=None):
    suffix = f", you are {age}" if age is not None else ""
    print(f"Hello, {name}{suffix}!" if not suffix else f"Hello, {name}{suffix}")


with Flow("greeter") as flow:
    name = Parameter("name", default="world")
    greet(name)

flow.run()
flow.run(name="Marvin")

with Flow("greeter-with-age") as aged:
    who = Parameter("who")
    age = Parameter("age", default=0)
    greet(who, age)

aged.run(parameters={"who": "Arthur", "age": 42})
