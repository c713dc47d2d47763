"""A task call's argument template: where upstream values go, and filling it in on the worker.

The engine's template builder (orchestrator.engine.graph) swaps each upstream
``TaskFuture`` in a call's arguments for a ``Slot`` indexing the call's
upstream list, and wraps containers holding slots in ``Deep``, so the worker
only walks what needs filling. The state layer fills a template from the
upstream states' values; the cache (orchestrator.worker.cache) reads the same
template to key a call by its upstreams' cache keys instead of their values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..records.states import SUCCESS_TYPES, State
from .shipped import Shipped

__all__ = ["Deep", "Slot", "fill_template", "upstream_values", "value_of"]


class Slot:
    """Where an upstream value goes in a call's arguments: upstream ``index``, optionally item ``item``."""

    __slots__ = ("index", "item")

    def __init__(self, index: int, item: int | None = None) -> None:
        self.index = index
        self.item = item

    def __reduce__(self) -> tuple[Any, ...]:
        return (Slot, (self.index, self.item))


class Deep:
    """A list, tuple, dict or set argument that has slots somewhere inside it."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Any, ...]:
        return (Deep, (self.value,))


def value_of(state: State) -> Any:
    """An upstream's value as an argument: its result, its exception if it failed, else None."""
    if state.type in SUCCESS_TYPES:
        return state.data
    return state.data if isinstance(state.data, BaseException) else None


def upstream_values(allow: frozenset[int] | None, upstream: Sequence[State]) -> list[Any]:
    """One value per upstream for filling a template: the state itself where ``allow`` (``allow_failure``)."""
    return [s if allow and i in allow else value_of(s) for i, s in enumerate(upstream)]


def fill_template(template: Any, values: list[Any]) -> Any:
    """A call's argument with its slots filled from ``values`` (one per upstream) and shipped values loaded."""
    if isinstance(template, Slot):
        value = values[template.index]
        return value if template.item is None else value[template.item]
    if isinstance(template, Deep):
        inner = template.value
        if isinstance(inner, dict):
            return {k: fill_template(v, values) for k, v in inner.items()}
        return type(inner)(fill_template(v, values) for v in inner)
    if isinstance(template, Shipped):
        return template.value
    return template
