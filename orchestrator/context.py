"""The run that the current code belongs to, as a context variable.

Set by a flow run around its body, so task calls anywhere below it (helper
functions, subflows) add nodes to that run; unset outside flows.
"""

from __future__ import annotations

import contextvars
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import RunEngine

__all__ = ["current_engine", "engine_var"]

engine_var: contextvars.ContextVar[RunEngine | None] = contextvars.ContextVar("daskflow_engine", default=None)


def current_engine() -> RunEngine | None:
    return engine_var.get()
