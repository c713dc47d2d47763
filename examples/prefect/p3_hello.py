"""Prefect 3: a flow calls a task directly and gets its value back.

Expected output:
    Hello, Marvin!
    HELLO, MARVIN!
"""

from orchestrator.compat.prefect import flow, task


@task
def greet(name: str) -> str:
    return f"Hello, {name}!"


@flow
def hello(name: str = "world") -> str:
    message = greet(name)
    print(message)
    return message.upper()


if __name__ == "__main__":
    print(hello("Marvin"))
