"""Prefect 3: tasks and flows return states to set their own outcome.

Expected output:
    skipping the load: nothing to do
    Completed
    Failed: the quality check failed
    FailedRun
"""

from orchestrator.compat.prefect import flow, task
from orchestrator.compat.prefect.states import Completed, Failed


@task
def maybe_load(rows: list[int]):
    if not rows:
        return Completed(message="nothing to do")
    return len(rows)


@flow
def loader():
    state = maybe_load([], return_state=True)
    print(f"skipping the load: {state.message}" if state.message else "loaded")
    return state


@flow
def quality_gate():
    return Failed(message="the quality check failed")


if __name__ == "__main__":
    print(loader(return_state=True).name)
    state = quality_gate(return_state=True)
    print(f"{state.name}: {state.message}")
    try:
        quality_gate()
    except Exception as exc:
        print(type(exc).__name__)
