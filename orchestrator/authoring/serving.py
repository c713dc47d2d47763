"""The hook behind ``Flow.serve``: schedules live above authoring, so they install their server here.

``orchestrator.schedules`` (a layer above this one) fills the slot when the
package root is imported; ``Flow.serve(...)`` then hands the flow and its
keywords to it. A lower layer reaching an upper one through a slot it owns,
like ``records.display``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..records.errors import FlowDefinitionError

__all__ = ["install_server", "server"]

#: ``server(flow, **options)``: serve one flow on a schedule until stopped.
Server = Callable[..., Any]
_SERVER: list[Server] = []


def install_server(serve: Server) -> None:
    """Make ``serve`` what ``Flow.serve`` calls (the schedules package does this at import)."""
    _SERVER[:] = [serve]


def server() -> Server:
    """The installed server; a clear error if the schedules package was never imported."""
    if not _SERVER:
        raise FlowDefinitionError("Flow.serve needs orchestrator.schedules; import orchestrator (the package root)")
    return _SERVER[0]
