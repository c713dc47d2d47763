"""Tokens for cache keys: equal values give equal tokens in every process; what has none is refused."""

from __future__ import annotations

import collections
import dataclasses
import datetime
import enum
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from orchestrator.worker.tokens import NotDeterministic, Opaque, stable_token

#: Values whose Dask token differs between two interpreters (measured): a __main__ dataclass, a set in an object.
PROGRAM = """
import dataclasses, sys
from orchestrator.worker.tokens import stable_token

@dataclasses.dataclass
class Point:
    x: int
    tags: set

class Bag:
    def __init__(self):
        self.items = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}
        self.point = Point(1, {"n", "s", "e", "w"})

def shift(x):
    return x + 1

print(stable_token([Point(2, {"a", "b", "c"}), Bag(), shift, lambda y: y * 2, {"k": frozenset({"x", "y"})}]))
"""


@pytest.mark.slow
def test_tokens_are_equal_in_separate_interpreters(tmp_path: Path) -> None:
    """The same __main__ dataclasses, sets inside objects and functions give one token in two processes."""
    script = tmp_path / "tokens.py"
    script.write_text(PROGRAM)
    tokens = set()
    for seed in ("1", "2"):  # different string-hash seeds, so set order differs between the two
        env = {"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"}
        done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, check=True)
        tokens.add(done.stdout.strip())
    assert len(tokens) == 1 and len(next(iter(tokens))) == 64


class Colour(enum.Enum):
    RED = 1


@dataclasses.dataclass
class Pair:
    left: int
    right: int


def test_equal_values_have_equal_tokens_whatever_their_order() -> None:
    """Dicts and sets compare by content; lists and tuples by order; types are part of the value."""
    assert stable_token({"a": 1, "b": {2, 3}}) == stable_token({"b": {3, 2}, "a": 1})
    assert stable_token([1, 2]) != stable_token([2, 1])
    assert stable_token([1, 2]) != stable_token((1, 2))
    assert stable_token(1) != stable_token(1.0) != stable_token("1")
    point = collections.namedtuple("point", "x y")
    assert stable_token(point(1, 2)) != stable_token((1, 2))
    assert stable_token(Pair(1, 2)) == stable_token(Pair(1, 2)) != stable_token(Pair(2, 1))
    assert stable_token(Colour.RED) == stable_token(Colour.RED)
    assert stable_token(datetime.date(2026, 11, 21)) != stable_token(datetime.date(2026, 11, 22))


def test_opaque_parts_are_taken_as_given() -> None:
    """An Opaque token (an upstream's cache key) stands for itself, whatever value it names."""
    assert stable_token(Opaque("k1")) == stable_token(Opaque("k1")) != stable_token(Opaque("k2"))


def test_objects_are_tokenized_by_their_state() -> None:
    """A plain object's token follows its attributes, so equal state means an equal token."""

    class Box:
        def __init__(self, value: object) -> None:
            self.value = value

    assert stable_token(Box({"x", "y"})) == stable_token(Box({"y", "x"})) != stable_token(Box({"x"}))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (threading.Lock(), "cannot be pickled"),
        (object(), "bare object()"),
        ([1, {"nested": threading.Event()}], "cannot be pickled"),
    ],
    ids=["lock", "object", "nested-event"],
)
def test_values_without_a_deterministic_token_are_refused(value: object, reason: str) -> None:
    """Locks, bare objects and anything holding them raise NotDeterministic saying why."""
    with pytest.raises(NotDeterministic, match=reason):
        stable_token(value)


def test_a_cycle_is_tokenized_not_recursed_forever() -> None:
    """A list that contains itself has a token."""
    loop: list[object] = [1]
    loop.append(loop)
    assert len(stable_token(loop)) == 64
