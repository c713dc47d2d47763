"""Small tasks the engine adds to a graph by itself, such as the items of an unpacked result.

``a, b = split(x)`` on a task with ``nout=2`` must give two futures without
running anything, so the engine adds one ``item`` call per value: a
``BuiltinTask`` is the least that satisfies ``NodeTask`` (a name, a function,
default options, no annotations). It pickles by reference to this module, so
workers need nothing but daskflow.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..records.options import TaskOptions

if TYPE_CHECKING:
    from .fingerprints import SourceRef

__all__ = ["ITEM", "BuiltinTask"]


class BuiltinTask:
    """A task the engine adds itself; see the module docstring."""

    __slots__ = ("annotations", "fn", "name", "options", "source")

    def __init__(self, name: str, fn: Callable[..., Any]) -> None:
        self.name = name
        self.fn = fn
        self.options = TaskOptions(name=name)
        self.annotations: Mapping[str, Any] | None = None
        self.source: SourceRef | None = None  # never cached, so never keyed

    def __reduce__(self) -> tuple[Any, ...]:
        return (BuiltinTask, (self.name, self.fn))

    def __repr__(self) -> str:
        return f"<BuiltinTask {self.name!r}>"


#: Item ``i`` of an upstream's result: what unpacking a future of a task with ``nout`` builds.
ITEM = BuiltinTask("item", operator.getitem)
