"""The run page's graph: the compiled graph up to ``MAX_NODES`` nodes, above that one node per task name.

Boxes are placed by ``views.visualize.layout`` (the layout ``flow.visualize()``
draws as SVG); the page draws them on a Canvas, coloured by state. Above
``MAX_NODES`` a drawing of every node is unreadable and slow, so the graph
is folded by task name: one box per name with its count and state counts,
and an edge wherever any node of one name feeds one of another.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any, Final

from ...history.store import GraphNode, TaskColumns
from ..visualize import BOX_HEIGHT, layout

__all__ = ["MAX_NODES", "graph_json"]

MAX_NODES: Final = 5_000


def graph_json(graph: Sequence[GraphNode], columns: TaskColumns) -> dict[str, Any]:
    """What the graph panel draws: boxes (with their place), edges between box indexes, the size."""
    if len(graph) <= MAX_NODES:
        return _per_node(graph, columns)
    return _per_name(graph, columns)


def _per_node(graph: Sequence[GraphNode], columns: TaskColumns) -> dict[str, Any]:
    state_of = dict(zip(columns.keys, columns.states))
    row_of = dict(zip(columns.keys, columns.ids))
    places, width, height = layout({n.key: n.name for n in graph}, {n.key: n.upstream for n in graph})
    index = {n.key: i for i, n in enumerate(graph)}
    boxes = []
    for n in graph:
        x, y, w = places[n.key]
        boxes.append([n.key, n.name, n.task, state_of.get(n.key, "Pending"), row_of.get(n.key), x, y, w])
    edges = [[index[u], index[n.key]] for n in graph for u in n.upstream if u in index]
    return {"mode": "tasks", "nodes": boxes, "edges": edges, "width": width, "height": height, "box": BOX_HEIGHT}


def _per_name(graph: Sequence[GraphNode], columns: TaskColumns) -> dict[str, Any]:
    task_of = {n.key: n.task for n in graph}
    counts = Counter(n.task for n in graph)
    states: dict[str, Counter[str]] = {name: Counter() for name in counts}
    for key, state in zip(columns.keys, columns.states):
        task = task_of.get(key)
        if task is not None:
            states[task][state] += 1
    for name, total in counts.items():
        seen = sum(states[name].values())
        if total > seen:
            states[name]["Pending"] += total - seen
    links: Counter[tuple[str, str]] = Counter()
    for n in graph:
        for u in n.upstream:
            up = task_of.get(u)
            if up is not None and up != n.task:
                links[(up, n.task)] += 1
    names = list(counts)  # first appearance: graphs are compiled dependencies first
    index = {name: i for i, name in enumerate(names)}
    # Names can feed each other both ways (a -> b -> a); the layout takes the forward edges only.
    ups: dict[str, list[str]] = {name: [] for name in names}
    for up, down in links:
        if index[up] < index[down]:
            ups[down].append(up)
    labels = {name: f"{name} \u00d7{count}" for name, count in counts.items()}
    places, width, height = layout(labels, ups)
    boxes = [[name, labels[name], name, dict(states[name]), None, *places[name]] for name in names]
    edges = [[index[up], index[down], n] for (up, down), n in links.items()]
    return {"mode": "names", "nodes": boxes, "edges": edges, "width": width, "height": height, "box": BOX_HEIGHT}
