"""Prefect 3: map a task over inputs, with unmapped arguments, and chain maps.

Expected output:
    [11, 12, 13]
    [22, 24, 26]
    72
"""

from orchestrator.compat.prefect import flow, task, unmapped


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def double(x: int) -> int:
    return 2 * x


@task
def total(xs: list[int]) -> int:
    return sum(xs)


@flow
def mapping() -> int:
    added = add.map([1, 2, 3], unmapped(10))
    print(added.result())
    doubled = double.map(added)
    print([f.result() for f in doubled])
    return total(doubled)


if __name__ == "__main__":
    print(mapping())
