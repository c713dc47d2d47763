"""The views' side of ``orchestrator.records.display``: how records are drawn as HTML and SVG.

The package root installs ``VIEW_RENDERERS`` at import, so ``FlowRun._repr_html_``,
``FlowRun.visualize()`` and ``Flow.visualize()`` draw with these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..records.runs import FlowRun
from .run_html import flow_run_html
from .visualize import GraphView

__all__ = ["VIEW_RENDERERS", "ViewRenderers"]


class ViewRenderers:
    """``orchestrator.records.display.Renderers``, drawn by ``run_html`` and ``visualize``."""

    def run_html(self, run: FlowRun) -> str:
        return flow_run_html(run)

    def run_graph(self, run: FlowRun) -> GraphView:
        return GraphView.of_run(run)

    def graph(self, graph: Mapping[str, Any], title: str) -> GraphView:
        return GraphView.of_graph(graph, title=title)


VIEW_RENDERERS = ViewRenderers()
