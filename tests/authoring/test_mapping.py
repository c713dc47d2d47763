"""Mapping: flatten, several iterables, maps chained after maps, and children named name[i]."""

from __future__ import annotations

from typing import Any

from executors import Executor
from orchestrator import Flow, flatten, flow, task, unmapped


@task
def chunks(n: int) -> list[list[int]]:
    return [list(range(i)) for i in range(n)]


@task
def upto(i: int) -> list[int]:
    return list(range(i))


@task
def inc(x: int) -> int:
    return x + 1


@task
def add(x: int, y: int, scale: int = 1) -> int:
    return (x + y) * scale


@task(log_prints=True)
def announce(x: int) -> int:
    print(f"item {x}")
    return x


def test_flatten_a_future_of_lists(executor: Executor) -> None:
    """map(flatten(future)) maps over the concatenation of the future's lists."""

    @flow
    def flat() -> list[int]:
        return inc.map(flatten(chunks(4)))  # type: ignore[return-value]

    run = flat.run(executor=executor)
    assert run.value == [1, 1, 2, 1, 2, 3]
    assert [run.by_name(f"inc[{i}]").state.value for i in range(6)] == ["Completed"] * 6


def test_flatten_the_output_of_a_map_and_plain_lists(executor: Executor) -> None:
    """flatten takes a list of futures from an earlier map, and plain lists of lists."""

    @flow
    def flat() -> tuple[list[int], list[int]]:
        return inc.map(flatten(upto.map([1, 2, 3]))), inc.map(flatten([[10], [20, 30]]))  # type: ignore[return-value]

    assert flat.run(executor=executor).value == ([1, 1, 2, 1, 2, 3], [11, 21, 31])


def test_map_over_several_iterables_with_unmapped(executor: Executor) -> None:
    """Several iterables are mapped in step; unmapped arguments go whole to every call."""

    @flow
    def pairs() -> list[int]:
        return add.map([1, 2, 3], [10, 20, 30], scale=unmapped(2))  # type: ignore[return-value]

    assert pairs.run(executor=executor).value == [22, 44, 66]


def test_maps_chained_after_maps_build_without_a_flush(counting: Any) -> None:
    """Mapping over the list an earlier map returned is element-wise and lazy: one submission."""

    @flow
    def chained() -> list[int]:
        first = inc.map(range(5))
        second = inc.map(first)
        return add.map(first, second)  # type: ignore[return-value]

    assert chained.run(executor=counting).value == [3, 5, 7, 9, 11]
    assert counting.submissions == 1


def test_mapped_children_are_named_in_states_and_logs(executor: Executor, run_events: Any) -> None:
    """Mapped calls are task runs "announce[i]", and their log records carry that name."""

    @flow
    def loud() -> list[int]:
        return announce.map([5, 6, 7])  # type: ignore[return-value]

    run = loud.run(executor=executor)
    assert run.value == [5, 6, 7]
    assert sorted(tr.name for tr in run.task_runs.values()) == ["announce[0]", "announce[1]", "announce[2]"]
    named = {(r["name"], r["message"]) for r in run_events.logs() if r["key"] in run.task_runs}
    assert named == {("announce[0]", "item 5"), ("announce[1]", "item 6"), ("announce[2]", "item 7")}


def test_maps_in_a_prefect1_block(executor: Executor) -> None:
    """In a block, map, chained map and flatten are recorded and replayed at run time."""
    with Flow("mapping") as mapping:
        lists = chunks(3)
        flat = inc.map(flatten(lists))
        again = inc.map(flat)
    assert mapping.run(executor=executor).value == {again: [2, 2, 3]}
