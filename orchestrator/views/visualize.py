"""Drawing a flow's graph as SVG, with no Graphviz: ``flow.visualize()`` and ``flow_run.visualize()``.

A small layered-DAG layout, in the spirit of Sugiyama's method but without
dummy nodes, because flows are mostly chains, fan-outs and fan-ins:

1. **Layers.** A node's row is one below its deepest upstream (longest path
   from the sources), so every edge points down.
2. **Order.** Nodes in a row start in creation order, then a few sweeps sort
   each row by the mean position of its neighbours in the row above (going
   down) or below (going up), which untangles most crossings.
3. **Place.** Boxes are as wide as their label, packed left to right and
   centred under the widest row; edges are cubic curves with an arrowhead.

Nodes of a finished run are filled by state; a legend names the colours. The
result is plain SVG text (``GraphView.svg``) that Jupyter shows inline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from ..records.states import StateType

if TYPE_CHECKING:
    from ..records.runs import FlowRun

__all__ = ["BOX_HEIGHT", "Box", "GraphView", "STATE_COLOURS", "layout", "render_svg"]

STATE_COLOURS: Mapping[StateType, str] = {
    StateType.PENDING: "#ffffff",
    StateType.RUNNING: "#8ec5ff",
    StateType.RETRYING: "#ffe08a",
    StateType.COMPLETED: "#8fd694",
    StateType.CACHED: "#c5ecc8",
    StateType.FAILED: "#f28b82",
    StateType.TIMED_OUT: "#f6ae6b",
    StateType.CRASHED: "#c58af9",
    StateType.CANCELLED: "#bdbdbd",
    StateType.SKIPPED: "#e8e8e8",
}
_PLAIN = "#dde7f5"
_FONT = 12
_CHAR = 7.2  # average width of a 12 px sans-serif character
_HEIGHT = 28
BOX_HEIGHT = _HEIGHT
#: Where one box goes: x, y (its top left corner) and width.
Box = tuple[float, float, float]
_GAP_X = 18
_GAP_Y = 46
_MARGIN = 16
_SWEEPS = 4


class _Node:
    __slots__ = ("key", "label", "layer", "order", "state", "tip", "width", "x", "y")

    def __init__(self, key: str, label: str, state: StateType | None, tip: str) -> None:
        self.key, self.label, self.state, self.tip = key, label, state, tip
        self.layer = 0
        self.order = 0.0
        self.width = max(60.0, len(label) * _CHAR + 20)
        self.x = self.y = 0.0


def _layers(nodes: dict[str, _Node], ups: Mapping[str, Sequence[str]]) -> list[list[_Node]]:
    downs: dict[str, list[str]] = {k: [] for k in nodes}
    waiting = {k: 0 for k in nodes}
    for key, deps in ups.items():
        for dep in deps:
            downs[dep].append(key)
            waiting[key] += 1
    ready = [k for k in nodes if waiting[k] == 0]
    seen = 0
    while ready:  # Kahn's algorithm, so the longest path is final when a node is taken
        key = ready.pop()
        seen += 1
        for down in downs[key]:
            nodes[down].layer = max(nodes[down].layer, nodes[key].layer + 1)
            waiting[down] -= 1
            if waiting[down] == 0:
                ready.append(down)
    if seen != len(nodes):
        raise ValueError("the graph has a cycle, so it cannot be drawn in layers")
    rows: list[list[_Node]] = [[] for _ in range(max((n.layer for n in nodes.values()), default=-1) + 1)]
    for node in nodes.values():  # creation order within each row
        node.order = len(rows[node.layer])
        rows[node.layer].append(node)
    return rows


def _untangle(rows: list[list[_Node]], ups: Mapping[str, Sequence[str]], nodes: Mapping[str, _Node]) -> None:
    downs: dict[str, list[str]] = {k: [] for k in nodes}
    for key, deps in ups.items():
        for dep in deps:
            downs[dep].append(key)
    for sweep in range(_SWEEPS):
        going_down = sweep % 2 == 0
        sequence = rows[1:] if going_down else list(reversed(rows[:-1]))
        for row in sequence:
            for node in row:
                links = ups.get(node.key, ()) if going_down else downs[node.key]
                if links:
                    node.order = sum(nodes[k].order for k in links) / len(links)
            row.sort(key=lambda n: n.order)
            for position, node in enumerate(row):
                node.order = position


def _place(by_key: dict[str, _Node], ups: Mapping[str, Sequence[str]], top: float) -> tuple[list[list[_Node]], float]:
    """Lay the nodes out in rows (steps 1 to 3 of the module docstring); the rows and the widest's width."""
    rows = _layers(by_key, ups)
    _untangle(rows, ups, by_key)
    widths = [sum(n.width for n in row) + _GAP_X * (len(row) - 1) for row in rows]
    total = max(widths, default=0.0)
    for row, width in zip(rows, widths):
        x = _MARGIN + (total - width) / 2
        for node in row:
            node.x = x
            node.y = top + node.layer * (_HEIGHT + _GAP_Y)
            x += node.width + _GAP_X
    return rows, total


def layout(labels: Mapping[str, str], ups: Mapping[str, Sequence[str]]) -> tuple[dict[str, Box], float, float]:
    """Where the boxes of a graph go, as ``render_svg`` draws them, for views that draw it themselves.

    ``labels`` maps each key to its box's text; upstream keys missing from it
    are ignored. Returns each key's ``(x, y, width)`` (boxes are ``BOX_HEIGHT``
    tall) and the drawing's width and height.
    """
    by_key = {key: _Node(key, label, None, "") for key, label in labels.items()}
    ups = {k: [d for d in deps if d in by_key] for k, deps in ups.items() if k in by_key}
    rows, total = _place(by_key, ups, _MARGIN)
    height = _MARGIN + len(rows) * (_HEIGHT + _GAP_Y) - _GAP_Y + _MARGIN if rows else 2 * _MARGIN
    return {n.key: (n.x, n.y, n.width) for n in by_key.values()}, total + 2 * _MARGIN, height


def render_svg(
    nodes: Iterable[tuple[str, str, StateType | None, str]], ups: Mapping[str, Sequence[str]], title: str = ""
) -> str:
    """SVG text for nodes ``(key, label, state or None, tooltip)`` and each key's upstream keys."""
    by_key = {key: _Node(key, label, state, tip) for key, label, state, tip in nodes}
    ups = {k: [d for d in deps if d in by_key] for k, deps in ups.items() if k in by_key}
    top = _MARGIN + (24 if title else 0)
    rows, total = _place(by_key, ups, top)
    states = sorted({n.state for n in by_key.values() if n.state is not None}, key=list(STATE_COLOURS).index)
    legend_y = top + len(rows) * (_HEIGHT + _GAP_Y) - _GAP_Y + 14
    width = max(total, 200.0) + 2 * _MARGIN
    height = legend_y + (22 if states else 0) + _MARGIN
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="{_FONT}">',
        '<defs><marker id="daskflow-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#666"/></marker></defs>',
    ]
    if title:
        out.append(f'<text x="{_MARGIN}" y="{_MARGIN + 12}" font-weight="bold">{escape(title)}</text>')
    for key, deps in ups.items():
        node = by_key[key]
        x2, y2 = node.x + node.width / 2, node.y
        for dep in deps:
            up = by_key[dep]
            x1, y1 = up.x + up.width / 2, up.y + _HEIGHT
            bend = (y2 - y1) / 2
            out.append(
                f'<path d="M{x1:.1f},{y1:.1f} C{x1:.1f},{y1 + bend:.1f} {x2:.1f},{y2 - bend:.1f} {x2:.1f},{y2:.1f}" '
                'fill="none" stroke="#666" stroke-width="1.2" marker-end="url(#daskflow-arrow)"/>'
            )
    for node in by_key.values():
        fill = STATE_COLOURS[node.state] if node.state is not None else _PLAIN
        state = f' data-state="{node.state.value}"' if node.state is not None else ""
        out.append(
            f'<g class="node" data-key="{escape(node.key)}"{state}><title>{escape(node.tip)}</title>'
            f'<rect x="{node.x:.1f}" y="{node.y:.1f}" width="{node.width:.1f}" height="{_HEIGHT}" rx="6" '
            f'fill="{fill}" stroke="#444"/>'
            f'<text x="{node.x + node.width / 2:.1f}" y="{node.y + _HEIGHT / 2 + 4:.1f}" '
            f'text-anchor="middle">{escape(node.label)}</text></g>'
        )
    x = float(_MARGIN)
    for state in states:
        out.append(
            f'<rect x="{x:.0f}" y="{legend_y:.0f}" width="12" height="12" fill="{STATE_COLOURS[state]}" stroke="#444"/>'
            f'<text x="{x + 16:.0f}" y="{legend_y + 10:.0f}">{state.value}</text>'
        )
        x += 16 + len(state.value) * _CHAR + 14
    out.append("</svg>")
    return "\n".join(out)


class GraphView:
    """A drawn graph: ``.svg`` text, ``save(path)``, and inline display in Jupyter."""

    def __init__(self, svg: str, nodes: int, edges: int) -> None:
        self.svg = svg
        self.nodes = nodes
        self.edges = edges

    @classmethod
    def of_graph(cls, graph: Mapping[str, Any], title: str = "") -> GraphView:
        """Draw a compiled graph (``flow.compile(...)``): one box per task call, named like its task run."""
        nodes: list[tuple[str, str, StateType | None, str]] = []
        ups: dict[str, tuple[str, ...]] = {}
        for key, node in graph.items():
            call = node.args[0] if getattr(node, "args", None) else None
            label = str(getattr(call, "name", None) or key)
            nodes.append((key, label, None, key))
            ups[key] = tuple(node.dependencies)
        return cls._make(nodes, ups, title)

    @classmethod
    def of_run(cls, run: FlowRun) -> GraphView:
        """Draw a flow run's graph with each node filled by its task run's final state."""
        nodes: list[tuple[str, str, StateType | None, str]] = []
        for key, task_run in run.task_runs.items():
            tip = f"{task_run.name}: {task_run.state.value}" + (f" ({task_run.message})" if task_run.message else "")
            nodes.append((key, task_run.name, task_run.state, tip))
        title = f"{run.flow_name} ({run.id}): {run.state.value}"
        return cls._make(nodes, run.edges, title)

    @classmethod
    def _make(
        cls, nodes: Sequence[tuple[str, str, StateType | None, str]], ups: Mapping[str, Sequence[str]], title: str
    ) -> GraphView:
        svg = render_svg(nodes, ups, title)
        keys = {n[0] for n in nodes}
        edges = sum(1 for k, deps in ups.items() if k in keys for d in deps if d in keys)
        return cls(svg, len(nodes), edges)

    def save(self, path: str) -> None:
        """Write the SVG to ``path``."""
        with open(path, "w", encoding="utf-8") as out:
            out.write(self.svg)

    def _repr_svg_(self) -> str:
        return self.svg

    def _repr_html_(self) -> str:
        return f'<div style="overflow:auto">{self.svg}</div>'

    def __repr__(self) -> str:
        return f"<GraphView: {self.nodes} nodes, {self.edges} edges>"
