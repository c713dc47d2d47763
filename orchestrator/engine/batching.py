"""Sibling batching: many independent calls of one task in a flush share a few Dask tasks.

Dask pays a fixed cost per task, whatever the task does: in a wide fan-out
of no-op tasks on a 2-core machine, about 0.55 ms of scheduler CPU and 1.3 ms
of worker CPU per task, 1.8 ms of wall time. A fan-out of 100,000 small calls
spends minutes there. The flow shows what Dask cannot: which calls are siblings,
the same task on the same upstreams with the same placement. Such calls
gain nothing from a Dask key each, so ``batch_siblings`` runs them in groups:

* calls are siblings when their Dask callable is the state layer's (a plain
  call, or a fused chain of the same tasks), their tasks are the same, their
  upstream keys are the same (none, for a fan-out over values), their Dask
  annotations are the same, and none opted out (``fuse=False``);
* calls that would stall their siblings stay apart: a retry with a delay
  sleeps on its worker thread, and so does a wait for a concurrency slot;
* only a group of at least ``MIN_SIBLINGS`` calls is batched, and only when
  the executor knows how many tasks it runs at once (its threads): each
  batch holds at most ``MAX_BATCH`` calls, and there are at least ``WAVES``
  batches per thread, so every thread stays busy and the last wave is short.

A batch is one Dask task whose callable is ``worker.batch.run_batch``: each
member goes through the entry point it had unbatched, so each call keeps its
key as its task run's key, its own events, retries, timeout, trigger, hooks,
logs and state, and a failed call does not stop its siblings. The batch's
result is the tuple of its members' States; a task downstream gets
``run_picked``, which hands it exactly the upstream States it had before,
and user code holding a batched call gets an ``ItemHandle``: its item of the
batch's result, waiting and failing with the batch. No more results are held
than unbatched: one State per call either way. A worker lost mid-batch reruns
the whole batch, as Dask reruns any lost task.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from dask.task_spec import Task, TaskRef

from executors import Executor, Handle
from executors.base import ItemHandle

from ..worker.batch import Batch, Picked, run_batch, run_picked
from ..worker.chain import Chain, run_chain
from ..worker.serialization import TaskSpec
from ..worker.state_layer import TaskCall, run_task

__all__ = [
    "MAX_BATCH",
    "MIN_SIBLINGS",
    "WAVES",
    "batch_siblings",
    "batch_size",
    "pick_items",
    "ref_id",
    "submit_batched",
]

#: A group of fewer sibling calls keeps one Dask task per call.
MIN_SIBLINGS = 256
#: The most calls one batched Dask task runs.
MAX_BATCH = 256
#: The fewest batches per executor thread: load balance, and a short last wave.
WAVES = 8

_STATE_CALLABLES = (run_task, run_chain, run_batch)


def batch_size(siblings: int, threads: int) -> int:
    """Calls per batch for a group of ``siblings`` on ``threads`` threads; 0 for no batching."""
    if siblings < MIN_SIBLINGS or threads < 1:
        return 0
    size = min(MAX_BATCH, siblings // (WAVES * threads))
    return size if size >= 2 else 0


def batch_siblings(
    graph: dict[str, Task],
    annotations: dict[str, Mapping[str, Any]],
    apart: Collection[str],
    threads: int,
) -> dict[str, tuple[str, int]]:
    """Batch ``graph``'s sibling calls in place; each batched key, mapped to its batch's key and position.

    The batched keys are gone from ``graph``; ``submit_batched`` makes their
    dependents read them out of their batches.
    """
    groups: dict[Any, list[str]] = {}
    for key, node in graph.items():
        if key not in apart:
            signature = _signature(node, annotations.get(key))
            if signature is not None:
                groups.setdefault(signature, []).append(key)
    placed: dict[str, tuple[str, int]] = {}
    for keys in groups.values():
        size = batch_size(len(keys), threads)
        if not size:
            continue
        for start in range(0, len(keys), size):
            members = keys[start : start + size]
            first = graph[members[0]]
            batch_key = f"{members[0]}-batch"
            batch = Batch(batch_key, tuple((graph[k].func, graph[k].args[0]) for k in members))
            graph[batch_key] = Task(batch_key, run_batch, batch, *first.args[1:])
            annotation = annotations.get(members[0])
            for index, key in enumerate(members):
                del graph[key]
                annotations.pop(key, None)
                placed[key] = (batch_key, index)
            if annotation:
                annotations[batch_key] = annotation
    return placed


def pick_items(graph: dict[str, Task], placed: Mapping[str, tuple[str, int]]) -> None:
    """Make every node that references a batched call, of this graph (``placed``) or of an earlier
    one (an ``ItemHandle``), read that call's State out of its batch (``run_picked``)."""
    for key, node in list(graph.items()):
        # Only the engine's own callables take upstream States as such: every other argument after
        # the first is a reference. Anything else (a stand-in for an unpicklable call) ignores them.
        if node.func in _STATE_CALLABLES and any(type(ref) is ItemHandle or ref.key in placed for ref in node.args[1:]):
            graph[key] = _picking(key, node, placed)


def _signature(node: Task, annotation: Mapping[str, Any] | None) -> Any:
    """What siblings share, or None for a node that is never batched."""
    first = node.args[0] if node.args else None
    if node.func is run_task and isinstance(first, TaskCall):
        specs: tuple[TaskSpec, ...] = (first.spec,)
        shape: Any = None
    elif node.func is run_chain and isinstance(first, Chain):
        specs = tuple(call.spec for call in first.calls)
        shape = first.sources
    else:
        return None
    if not all(_batchable(spec) for spec in specs):
        return None
    upstreams = tuple(ref_id(ref) for ref in node.args[1:])
    placement = tuple(sorted((k, repr(v)) for k, v in annotation.items())) if annotation else None
    return (node.func, tuple(id(spec) for spec in specs), shape, upstreams, placement)


def _batchable(spec: TaskSpec) -> bool:
    """Whether calls of this task may wait behind their siblings: no retry delay, no concurrency slots."""
    task, _, plan = spec.load()
    options = task.options
    if options.retries and options.retry_delay != 0:
        return False
    return not (plan is not None and plan.slots)


def ref_id(ref: Any) -> tuple[str, int]:
    """What a reference reads: its key, and for an ``ItemHandle`` its position in that key's batch."""
    return (ref.key, ref.index if type(ref) is ItemHandle else -1)


def _picking(key: str, node: Task, placed: Mapping[str, tuple[str, int]]) -> Task:
    sources: list[Any] = []
    position: dict[Any, int] = {}
    picks: list[tuple[int, int]] = []
    for ref in node.args[1:]:
        source: Any = ref
        source_key, index = ref.key, -1
        if type(ref) is ItemHandle:
            index, source = ref.index, ref.whole
        elif ref.key in placed:
            source_key, index = placed[ref.key]
            source = TaskRef(source_key)
        if source_key not in position:
            position[source_key] = len(sources)
            sources.append(source)
        picks.append((position[source_key], index))
    picked = Picked(key, node.func, node.args[0], tuple(picks))
    return Task(key, run_picked, picked, *sources)


def submit_batched(
    executor: Executor,
    graph: dict[str, Task],
    wanted: list[str],
    annotations: Mapping[str, Mapping[str, Any]],
    placed: Mapping[str, tuple[str, int]],
) -> dict[str, Handle]:
    """Submit ``graph``; a handle per wanted key, an ``ItemHandle`` of its batch for a batched one.

    First every node reading a batched call (``placed``, or an ``ItemHandle`` of an
    earlier flush) is made to pick it out of its batch (``pick_items``).
    """
    pick_items(graph, placed)
    keys = list(dict.fromkeys(placed[k][0] if k in placed else k for k in wanted))
    handles = dict(zip(keys, executor.submit(graph, keys, annotations)))
    return {k: ItemHandle(handles[placed[k][0]], placed[k][1]) if k in placed else handles[k] for k in wanted}
