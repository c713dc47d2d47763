"""A lazy TaskFuture never answers a value question wrongly: every operation on its value raises."""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import pytest

from orchestrator import FlowDefinitionError, LocalExecutor, TaskFuture, flow, task


@task
def value() -> int:
    return 3


OPERATIONS: dict[str, Callable[[TaskFuture[Any]], Any]] = {
    "==": lambda f: f == 3,
    "!=": lambda f: f != 3,
    "<": lambda f: f < 3,
    "<=": lambda f: f <= 3,
    ">": lambda f: f > 3,
    ">=": lambda f: f >= 3,
    "bool": bool,
    "if": lambda f: 1 if f else 0,
    "len": len,
    "iter": list,
    "unpack": lambda f: [a for (a,) in [f]],
    "in": lambda f: 3 in f,
    "getitem": lambda f: f[0],
    "+": lambda f: f + 1,
    "radd": lambda f: 1 + f,
    "-": lambda f: f - 1,
    "*": lambda f: f * 2,
    "/": lambda f: f / 2,
    "//": lambda f: f // 2,
    "%": lambda f: f % 2,
    "**": lambda f: f**2,
    "&": lambda f: f & 1,
    "|": lambda f: f | 1,
    "neg": operator.neg,
    "abs": abs,
    "str": str,
    "format": lambda f: f"{f}",
    "int": int,
    "float": float,
    "index": lambda f: [0, 1][f],
    "round": round,
}


@pytest.mark.parametrize("name", OPERATIONS)
def test_every_value_operation_on_a_future_raises_a_type_error_saying_to_call_result(name: str) -> None:
    """==, <, bool, len, iteration, in, arithmetic, str, int... raise TypeError naming the task and .result()."""
    raised: list[BaseException] = []

    @flow(executor=LocalExecutor())
    def asks() -> int:
        future = value()
        try:
            OPERATIONS[name](future)
        except TypeError as exc:
            raised.append(exc)
        return future.result()

    assert asks() == 3
    assert len(raised) == 1 and isinstance(raised[0], FlowDefinitionError)
    assert "'value'" in str(raised[0]) and ".result()" in str(raised[0])


def test_futures_compare_and_hash_by_identity() -> None:
    """Two futures are equal only if they are the same; they work as set members, dict keys and in lists."""

    @flow(executor=LocalExecutor())
    def identity() -> list[bool]:
        a, b = value(), value()
        held = {a: "a"}
        return [a == a, a != b, a == b, a in [b, a], len({a, b}), held[a] == "a", repr(a).startswith("<TaskFuture")]

    assert identity() == [True, True, False, True, 2, True, True]
