"""Chain fusion: each linear run of task calls in a flush becomes one Dask task.

Dask pays a fixed latency per task (about 5 ms a step on a chain, mostly the
batched hand-offs between scheduler and worker, with the CPU idle). Where the
flow shows that a call's result goes to exactly one next call, nothing is
gained by giving it a Dask key of its own, so ``fuse`` joins such calls:

* call ``a`` links to call ``b`` when ``b`` is ``a``'s only dependent in the
  flush, ``a`` is ``b``'s only upstream in the flush (upstreams from earlier
  flushes, which are handles, are fine anywhere), ``a`` is not held by user
  code or otherwise wanted as a key of its own, both have the same Dask
  annotations (resources, workers, priority, tags), and neither opts out
  (``@task(fuse=False)``);
* each maximal run of links ``n1 -> ... -> nm`` becomes one Dask task under
  ``nm``'s key, whose callable is ``worker.chain.run_chain``: it runs the
  state layer once per original call, in order (see there).

Every call keeps its key as its task run's key, its own events, retries,
timeout, trigger and hooks, so the store, ``runs show`` and the Gantt look as
if nothing was fused; only the Dask round trips between the steps are gone.
A worker lost mid-chain reruns the whole fused task. ``flow.compile()`` and
``to_dask`` show the unfused graph. After the chains, the engine batches
many sibling calls into few Dask tasks (orchestrator.engine.batching); the
same opt-outs turn both off.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, MutableMapping
from typing import Any

from dask.task_spec import Task

from ..worker.chain import Chain, run_chain
from ..worker.state_layer import run_task
from .batching import MIN_SIBLINGS, batch_siblings, ref_id

__all__ = ["FUSE_ENV", "compact", "fuse", "fusion_wanted"]

#: ``0`` turns fusion off for flows that do not set ``fuse=`` themselves.
FUSE_ENV = "DASKFLOW_FUSE"


def fusion_wanted(option: bool | None) -> bool:
    """A flow's ``fuse`` option, else ``DASKFLOW_FUSE`` (on unless 0/false/no/off)."""
    if option is not None:
        return option
    return os.environ.get(FUSE_ENV, "1").strip().lower() not in {"0", "false", "no", "off"}


def compact(
    graph: dict[str, Task],
    annotations: dict[str, Mapping[str, Any]],
    keep: Collection[str],
    apart: Collection[str],
    threads: Callable[[], int | None],
    gone: MutableMapping[str, str],
) -> dict[str, tuple[str, int]]:
    """Fuse ``graph``'s chains, then batch its siblings, in place; the batched keys and their places.

    ``threads`` says how many tasks the executor runs at once; it may cost a
    round trip, so it is asked only of a flush big enough to batch. Each key
    gone from the graph is noted in ``gone`` with the key of the task that
    runs it.
    """
    gone.update(fuse(graph, annotations, keep, apart))
    count = threads() if len(graph) >= MIN_SIBLINGS else None
    if not count:
        return {}
    placed = batch_siblings(graph, annotations, apart, count)
    gone.update((key, batch) for key, (batch, _) in placed.items())
    return placed


def fuse(
    graph: dict[str, Task],
    annotations: dict[str, Mapping[str, Any]],
    keep: Collection[str],
    apart: Collection[str],
) -> dict[str, str]:
    """Fuse ``graph``'s linear chains in place; the fused-away keys, each mapped to its chain's key.

    ``keep`` are keys that must stay keys of their own (held by user code),
    ``apart`` keys whose task opted out of fusion. ``annotations`` loses the
    entries of fused-away keys.
    """
    upstreams: dict[str, list[str]] = {}
    dependents: dict[str, list[str]] = {key: [] for key in graph}
    for key, node in graph.items():
        inside = [d for d in node.dependencies if d in graph]
        upstreams[key] = inside
        for d in inside:
            dependents[d].append(key)

    def links(a: str) -> str | None:
        """The call ``a`` fuses into, if any."""
        following = dependents[a]
        if len(following) != 1 or a in keep or a in apart:
            return None
        b = following[0]
        if b in apart or upstreams[b] != [a] or annotations.get(a) != annotations.get(b):
            return None
        if graph[a].func is not run_task or graph[b].func is not run_task:
            return None
        return b

    nexts = {a: b for a in graph if (b := links(a)) is not None}
    heads = [key for key in graph if key in nexts and key not in set(nexts.values())]
    merged: dict[str, str] = {}
    for head in heads:
        chain = [head]
        while chain[-1] in nexts:
            chain.append(nexts[chain[-1]])
        last = chain[-1]
        graph[last] = _fused(graph, chain)
        for key in chain[:-1]:
            del graph[key]
            annotations.pop(key, None)
            merged[key] = last
    return merged


def _fused(graph: Mapping[str, Task], chain: list[str]) -> Task:
    """One Task running every call of ``chain``, taking the chain's outside upstreams as its arguments."""
    calls = []
    sources: list[tuple[int, ...]] = []
    outside: list[Any] = []
    position: dict[tuple[str, int], int] = {}
    previous = None
    for key in chain:
        call, *refs = graph[key].args
        calls.append(call)
        mine = []
        for ref in refs:
            if ref.key == previous:
                mine.append(-1)
                continue
            # Two items of one earlier batch share a key: tell them apart by position.
            source = ref_id(ref)
            if source not in position:
                position[source] = len(outside)
                outside.append(ref)
            mine.append(position[source])
        sources.append(tuple(mine))
        previous = key
    return Task(chain[-1], run_chain, Chain(tuple(calls), tuple(sources)), *outside)
