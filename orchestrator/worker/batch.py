"""Running a batch of sibling task calls as one Dask task, and picking one call's State out of it.

``run_batch(batch, *shared)`` is the callable of a batched Dask task
(orchestrator.engine.batching). ``batch.members`` are the siblings, each a
pair of the Dask callable it had unbatched (the state layer's ``run_task``, or
``run_chain`` for a fused chain) and its first argument (its ``TaskCall`` or
``Chain``). Every member had the same upstreams, ``shared``. Each member goes
through the entry point it would have had as a Dask task of its own, so each
call keeps its trigger, retries, timeout, hooks, events and logs, and a
failed member does not stop its siblings: they are independent calls. The
result is the tuple of the members' States, in order.

A task downstream of batched calls gets ``run_picked``: ``picked.picks`` says,
for each upstream the unbatched task had, which of its Dask arguments holds it
and at which position of that batch (``-1``: the argument is the State itself,
not a batch). It then calls its own callable exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..records.states import State

__all__ = ["Batch", "Picked", "run_batch", "run_picked"]

Member = tuple[Callable[..., State], Any]


class Batch:
    """The sibling calls of one batched Dask task."""

    __slots__ = ("key", "members")

    def __init__(self, key: str, members: tuple[Member, ...]) -> None:
        self.key = key
        self.members = members

    def __reduce__(self) -> tuple[Any, ...]:
        return (Batch, (self.key, self.members))

    def __dask_tokenize__(self) -> str:
        # The batch's key names it uniquely; tokenizing by pickling every member costs too much.
        return self.key

    def __repr__(self) -> str:
        return f"Batch({self.key!r}, {len(self.members)} calls)"


def run_batch(batch: Batch, *shared: State) -> tuple[State, ...]:
    """Run every member of ``batch`` on the upstreams they share; their States, in order."""
    return tuple(func(first, *shared) for func, first in batch.members)


class Picked:
    """A task whose upstreams include batched calls: where each upstream sits among its arguments."""

    __slots__ = ("first", "func", "key", "picks")

    def __init__(self, key: str, func: Callable[..., Any], first: Any, picks: tuple[tuple[int, int], ...]) -> None:
        self.key = key
        self.func = func
        self.first = first
        self.picks = picks

    def __reduce__(self) -> tuple[Any, ...]:
        return (Picked, (self.key, self.func, self.first, self.picks))

    def __dask_tokenize__(self) -> str:
        return self.key

    def __repr__(self) -> str:
        return f"Picked({self.key!r})"


def run_picked(picked: Picked, *sources: Any) -> Any:
    """Rebuild the upstream States the task had unbatched, then run it through its own callable."""
    upstream = [sources[source] if index < 0 else sources[source][index] for source, index in picked.picks]
    return picked.func(picked.first, *upstream)
