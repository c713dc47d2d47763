"""The run that the current code belongs to, as a context variable.

Set by a flow run around its body, so task calls anywhere below it (helper
functions, subflows) add nodes to that run; unset outside flows.

``conditions_var`` holds the hidden condition nodes of the ``case(...)``
blocks the code is inside (orchestrator.authoring.conditional); every task call made
there waits for them, so it is Skipped when a condition is false.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .futures import TaskFuture
    from .run_engine import RunEngine

__all__ = ["conditions_var", "current_engine", "engine_var"]

engine_var: contextvars.ContextVar[RunEngine | None] = contextvars.ContextVar("daskflow_engine", default=None)
conditions_var: contextvars.ContextVar[tuple[TaskFuture[Any], ...]] = contextvars.ContextVar(
    "daskflow_conditions", default=()
)


def current_engine() -> RunEngine | None:
    return engine_var.get()
