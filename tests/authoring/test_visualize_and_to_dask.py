"""Seeing the graph (flow.visualize, flow_run.visualize) and handing it to plain Dask (to_dask)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import dask
import pytest

from executors import Executor
from orchestrator import DaskGraph, Flow, GraphView, Parameter, case, flow, merge, task, to_dask


@task
def inc(x: int) -> int:
    return x + 1


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def boom(x: int) -> int:
    raise ValueError("boom")


@flow
def diamond(n: int = 1) -> dict[str, Any]:
    left, right = inc(n), inc(n + 1)
    total = add(left, right)
    with case(total, 5):
        hit = inc(total)
    with case(total, 99):
        miss = inc(0)
    return {"total": total, "branch": merge(hit, miss), "parts": inc.map([left, right])}


def node_states(view: GraphView) -> dict[str, str]:
    """Each drawn node's label and state, read back from the SVG."""
    root = ET.fromstring(view.svg)
    ns = "{http://www.w3.org/2000/svg}"
    found = {}
    for group in root.iter(f"{ns}g"):
        label = group.find(f"{ns}text")
        assert label is not None and label.text is not None
        found[label.text] = group.get("data-state", "")
    return found


def test_flow_visualize_draws_the_compiled_graph_as_svg() -> None:
    """flow.visualize(**params) is well-formed SVG with one box per call and one arrow per dependency."""
    view = diamond.visualize(n=1)
    root = ET.fromstring(view.svg)
    assert root.tag.endswith("svg")
    graph = diamond.compile(n=1)
    assert view.nodes == len(graph) and view.edges == sum(len(node.dependencies) for node in graph.values())
    assert len(re.findall(r'class="node"', view.svg)) == len(graph)
    assert view.svg.count("marker-end") == view.edges
    assert {"inc", "add", "merge", "inc[0]", "inc[1]"} <= set(node_states(view))
    assert view._repr_svg_() == view.svg and view.svg in view._repr_html_()


def test_flow_run_visualize_colours_nodes_by_final_state(executor: Executor) -> None:
    """After a run, each node carries (and is filled by) its task run's final state."""

    @flow
    def mixed() -> None:
        bad = boom(1)
        inc(bad)
        inc(2)

    run = mixed.run(executor=executor)
    view = run.visualize()
    states = [group.get("data-state") for group in ET.fromstring(view.svg).iter("{http://www.w3.org/2000/svg}g")]
    assert sorted(states) == ["Completed", "Failed", "Skipped"]  # type: ignore[type-var]
    assert view.edges == 1 and "#f28b82" in view.svg  # the Failed fill, and its legend entry
    assert "Failed" in view._repr_html_()


def test_visualize_a_prefect1_block_flow() -> None:
    """A block flow draws like a @flow, with its Parameters as values."""
    with Flow("blocky") as blocky:
        n = Parameter("n", default=2)
        add(inc(n), inc(n))
    view = blocky.visualize()
    assert view.nodes == 3 and view.edges == 2


def test_to_dask_runs_on_the_synchronous_scheduler() -> None:
    """to_dask gives a plain graph: dask.get returns values, per task key and for the flow's return value."""
    plain = to_dask(diamond, n=1)
    assert isinstance(plain, DaskGraph)
    assert dask.get(plain.graph, plain.result_key) == {"total": 5, "branch": 6, "parts": [3, 4]}
    assert dask.get(plain.graph, plain.key_of("add")) == 5
    assert dask.compute(plain, scheduler="sync") == ({"total": 5, "branch": 6, "parts": [3, 4]},)


def test_to_dask_propagates_task_errors_the_dask_way() -> None:
    """A failing task's value key raises the task's own exception under plain Dask."""

    @flow
    def failing() -> int:
        return inc(boom(1))  # type: ignore[return-value]

    plain = to_dask(failing)
    with pytest.raises(ValueError, match="boom"):
        dask.get(plain.graph, plain.key_of("boom"))


@pytest.mark.cluster
def test_to_dask_runs_on_a_distributed_client(dask_executor: Any) -> None:
    """The same graph runs through a distributed Client's get, and as a collection with dask.compute."""
    plain = to_dask(diamond, n=2)
    client = dask_executor.client
    assert client.get(plain.graph, plain.result_key) == {"total": 7, "branch": None, "parts": [4, 5]}
    assert dask.compute(plain, scheduler=client.get) == ({"total": 7, "branch": None, "parts": [4, 5]},)
