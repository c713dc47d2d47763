"""Prefect 1: ifelse() between two tasks, and switch() among several by a task's value.

Expected output:
    even
    medium
"""

from orchestrator.compat.prefect import Flow, Parameter, task
from orchestrator.compat.prefect.tasks.control_flow import ifelse, switch


@task
def is_even(n):
    return n % 2 == 0


@task
def say_even():
    print("even")


@task
def say_odd():
    print("odd")


@task
def size_of(n):
    return "small" if n < 10 else "medium" if n < 100 else "large"


@task
def small():
    print("small")


@task
def medium():
    print("medium")


@task
def large():
    print("large")


with Flow("parity") as parity:
    n = Parameter("n", default=42)
    ifelse(is_even(n), say_even, say_odd)

with Flow("sizes") as sizes:
    m = Parameter("m", default=42)
    switch(size_of(m), {"small": small, "medium": medium, "large": large})

parity.run()
sizes.run()
