"""The live flow the dashboard benchmark watches: ``live(n)`` maps ``n`` short tasks (5 ms each)."""

from __future__ import annotations

import time

from orchestrator import flow, task


@task
def step(i: int) -> int:
    time.sleep(0.005)
    return i


@flow
def live(n: int = 10_000) -> None:
    step.map(range(n))
