"""Prefect 1: class-based tasks with run(), settings passed to __init__, and task_args per call.

Expected output:
    6
    [2, 4, 6]
    multiply-by-two
    3
"""

from orchestrator.compat.prefect import Flow, Task


class Multiply(Task):
    def __init__(self, factor=1, **kwargs):
        self.factor = factor
        super().__init__(**kwargs)

    def run(self, x):
        return x * self.factor


class CountRetries(Task):
    def run(self):
        return self.max_attempts

    def __init__(self, **kwargs):
        self.max_attempts = kwargs.get("max_retries", 0) + 1
        super().__init__(**kwargs)


double = Multiply(factor=2, name="double")
counter = CountRetries(max_retries=2)

with Flow("classes") as flow:
    one = double(3)
    many = double.map([1, 2, 3])
    renamed = double(1, task_args={"name": "multiply-by-two"})
    attempts = counter()

state = flow.run()
print(state.result[one].result)
print(state.result[many].result)
print(renamed.name)
print(state.result[attempts].result)
