"""Running a fused chain of task calls as one Dask task: the state layer once per original call, in order.

``run_chain(chain, *upstream)`` is the callable of a fused Dask task
(orchestrator.engine.fusion). ``chain.calls`` are the original ``TaskCall``s,
first to last; ``chain.sources[i]`` says where each upstream of call ``i``
comes from: ``-1`` is the previous call's State, ``j >= 0`` is the fused
task's ``j``-th argument, an upstream from outside the chain. Each call goes
through ``run_task``, the entry point an unfused task has, so it keeps its own
trigger, retries, timeout, hooks, events and logs, and a failure makes the
next calls Skipped as their triggers say. Only the previous call's State is
kept while the chain runs: no more intermediates than the unfused graph held.
"""

from __future__ import annotations

from typing import Any

from ..records.states import State
from .state_layer import TaskCall, run_task

__all__ = ["Chain", "run_chain"]


class Chain:
    """The calls of one fused chain and where each one's upstreams come from."""

    __slots__ = ("calls", "sources")

    def __init__(self, calls: tuple[TaskCall, ...], sources: tuple[tuple[int, ...], ...]) -> None:
        self.calls = calls
        self.sources = sources

    def __reduce__(self) -> tuple[Any, ...]:
        return (Chain, (self.calls, self.sources))

    def __dask_tokenize__(self) -> str:
        # Like TaskCall: the last key names the chain uniquely; tokenizing by pickling costs too much.
        return self.calls[-1].key

    def __repr__(self) -> str:
        return f"Chain({self.calls[0].key!r} .. {self.calls[-1].key!r}, {len(self.calls)} calls)"


def run_chain(chain: Chain, *upstream: State) -> State:
    """Run every call of ``chain`` through the state layer; the last one's State."""
    previous: State | None = None
    for call, sources in zip(chain.calls, chain.sources):
        states = [previous if source < 0 else upstream[source] for source in sources]
        previous = run_task(call, *states)  # type: ignore[arg-type]  # -1 only after the first call
    assert previous is not None
    return previous
