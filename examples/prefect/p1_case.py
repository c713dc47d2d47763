"""Prefect 1: branch with case() and join the branches with merge(); the untaken branch is Skipped.

Expected output:
    took the heads branch
    heads won
    True
"""

from orchestrator.compat.prefect import Flow, Parameter, case, task
from orchestrator.compat.prefect.tasks.control_flow import merge


@task
def flip(side):
    return side


@task
def heads_branch():
    print("took the heads branch")
    return "heads won"


@task
def tails_branch():
    print("took the tails branch")
    return "tails won"


@task
def announce(result):
    print(result)


with Flow("coin") as flow:
    side = Parameter("side", default="heads")
    coin = flip(side)
    with case(coin, "heads"):
        h = heads_branch()
    with case(coin, "tails"):
        t = tails_branch()
    announce(merge(h, t))

state = flow.run()
print(state.result[t].is_skipped())
