"""How records reach the views that draw them, without importing them.

``FlowRun._repr_html_``, ``FlowRun.visualize()`` and ``Flow.visualize()`` are
methods of lower layers, but HTML and SVG are drawn by ``orchestrator.views``,
which sits above them. So this module owns the small protocol the views
implement, and the package root installs the views' implementation when
``orchestrator`` is imported (``install_renderers``). Records call
``renderers()`` at the moment they draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from .errors import OrchestratorError

if TYPE_CHECKING:
    from .runs import FlowRun

__all__ = ["Renderers", "install_renderers", "renderers"]


class Renderers(Protocol):
    """What the views draw for the lower layers."""

    def run_html(self, run: FlowRun) -> str:
        """A flow run as an HTML fragment (Jupyter's rich display)."""
        ...

    def run_graph(self, run: FlowRun) -> Any:
        """A flow run's graph, nodes coloured by state (an object with ``.svg``)."""
        ...

    def graph(self, graph: Mapping[str, Any], title: str) -> Any:
        """A compiled Dask graph (an object with ``.svg``)."""
        ...


_INSTALLED: list[Renderers] = []


def install_renderers(implementation: Renderers) -> None:
    """Make ``implementation`` the one ``renderers()`` returns (the package root calls this)."""
    _INSTALLED[:] = [implementation]


def renderers() -> Renderers:
    """The installed views; an ``OrchestratorError`` if the package root was bypassed."""
    if not _INSTALLED:
        message = "no views are installed to draw runs; import orchestrator (the package) before drawing"
        raise OrchestratorError(message)
    return _INSTALLED[0]
