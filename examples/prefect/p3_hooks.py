"""Prefect 3: state change hooks on flows and tasks get the flow (or task), the run and its state.

Expected output:
    task hook: transform Completed
    flow hook: etl Completed True
    failure hook: crash Failed
    caught ValueError
"""

from orchestrator.compat.prefect import flow, task


def task_done(task, task_run, state):
    print(f"task hook: {task.name} {state.name}")


def flow_done(flow, flow_run, state):
    print(f"flow hook: {flow.name} {state.name} {state.is_completed()}")


def flow_failed(flow, flow_run, state):
    print(f"failure hook: {flow_run.name.split('-')[0]} {state.name}")


@task(on_completion=[task_done])
def transform(x: int) -> int:
    return x + 1


@flow(on_completion=[flow_done])
def etl() -> int:
    return transform(1)


@flow(on_failure=[flow_failed])
def crash() -> None:
    raise ValueError("boom")


if __name__ == "__main__":
    etl()
    try:
        crash()
    except ValueError:
        print("caught ValueError")
