"""Prefect 3: return_state=True gives states to inspect instead of values or exceptions.

Expected output:
    Completed 3
    Failed True ZeroDivisionError
    flow: Failed
    ZeroDivisionError
"""

from orchestrator.compat.prefect import flow, task


@task
def divide(a: int, b: int) -> float:
    return a // b


@flow
def inspect_states() -> None:
    ok = divide(9, 3, return_state=True)
    print(ok.name, ok.result())
    bad = divide(1, 0, return_state=True)
    print(bad.name, bad.is_failed(), type(bad.result(raise_on_failure=False)).__name__)


@flow
def fails() -> float:
    return divide(1, 0)


if __name__ == "__main__":
    inspect_states()
    state = fails(return_state=True)
    print(f"flow: {state.name}")
    print(type(state.result(raise_on_failure=False)).__name__)
