"""The workloads, each written twice: a raw Dask graph and a daskflow flow.

The raw version builds a dict of ``dask.task_spec`` ``Task`` nodes (lists of
upstream references wrapped in ``List``, since a plain list records no
dependency), submits it with one ``client.get(graph, [final], sync=False)``
and waits for the final key: the fastest whole-graph path Dask offers (see
DESIGN.md, "Dask facts"). The daskflow version is the same graph written
with ``@task`` / ``@flow`` and run with ``flow.run(..., executor=...)``.
Both call the functions in ``benchmarks.work`` and must return equal values;
the harness checks that, so a benchmark never times a wrong answer.

Both versions name their keys ``<function>-<token>-...``, as ``dask.delayed``
and daskflow do, so each has the same task groups: Dask's scheduler treats a
group by its key prefix (whether its tasks count as root tasks to queue, how
long they are expected to take), and the same graph under other prefixes can
schedule very differently (a wide DAG whose keys all start with one prefix ran
1.6x faster than the same graph with a ``noop`` and a ``combine`` group).

Shapes whose graph fusion changes (``fusable``: the chain; the ETL's
extract -> transform -> aggregate per partition; the fan-out, whose sibling
calls are batched) are also timed with fusion off, as the ``unfused``
runner.

Sizes: ``n`` is the shape's own size (tasks for fan-out, chain and wide DAG,
partitions for the ETL); ``Shape.tasks(n)`` gives the number of Dask tasks,
which the per-task added cost divides by.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dask.task_spec import List, Task, TaskRef

from orchestrator import flow, task

from . import work

if TYPE_CHECKING:
    from distributed import Client

    from executors import Executor

__all__ = ["SHAPES", "Shape", "WIDE_DEPTH", "WIDE_FAN_IN", "etl_floats"]

#: Layers of the wide DAG; its width is ``n // WIDE_DEPTH``.
WIDE_DEPTH = 10
#: How many tasks of the layer before each wide-DAG task depends on.
WIDE_FAN_IN = 3
#: Default ETL partition size: about 5 MB of float64.
ETL_PARTITION_MB = 5.0


def etl_floats(partition_mb: float) -> int:
    return int(partition_mb * 1024 * 1024 / 8)


def _wide_parents(j: int, width: int) -> tuple[int, ...]:
    """A few distinct tasks of the previous layer, spread across it, deterministic per position."""
    picks = [j, (j + 1) % width, (j * 7 + 3) % width][:WIDE_FAN_IN]
    return tuple(dict.fromkeys(picks))


def _token() -> str:
    return uuid.uuid4().hex[:8]


def _get(client: Client, graph: dict[str, Task], key: str) -> Any:
    (future,) = client.get(graph, [key], sync=False)
    return future.result()


# -- raw Dask ------------------------------------------------------------------


def raw_fanout(client: Client, n: int, **_: Any) -> Any:
    t = _token()
    graph = {f"noop-{t}-{i}": Task(f"noop-{t}-{i}", work.noop, i) for i in range(n)}
    graph[f"total-{t}"] = Task(f"total-{t}", work.total, List(*(TaskRef(k) for k in list(graph))))
    return _get(client, graph, f"total-{t}")


def raw_chain(client: Client, n: int, **_: Any) -> Any:
    t = _token()
    graph = {f"noop-{t}-0": Task(f"noop-{t}-0", work.noop, 0)}
    previous = f"noop-{t}-0"
    for i in range(1, n):
        graph[f"inc-{t}-{i}"] = Task(f"inc-{t}-{i}", work.inc, TaskRef(previous))
        previous = f"inc-{t}-{i}"
    return _get(client, graph, previous)


def raw_etl(client: Client, n: int, partition_mb: float = ETL_PARTITION_MB, **_: Any) -> Any:
    t, floats = _token(), etl_floats(partition_mb)
    graph: dict[str, Task] = {}
    for i in range(n):
        graph[f"extract-{t}-{i}"] = Task(f"extract-{t}-{i}", work.extract, i, floats)
        graph[f"transform-{t}-{i}"] = Task(f"transform-{t}-{i}", work.transform, TaskRef(f"extract-{t}-{i}"))
        graph[f"aggregate-{t}-{i}"] = Task(f"aggregate-{t}-{i}", work.aggregate, TaskRef(f"transform-{t}-{i}"))
    refs = List(*(TaskRef(f"aggregate-{t}-{i}") for i in range(n)))
    graph[f"load-{t}"] = Task(f"load-{t}", work.load, refs)
    return _get(client, graph, f"load-{t}")


def raw_wide(client: Client, n: int, **_: Any) -> Any:
    t, width = _token(), max(n // WIDE_DEPTH, WIDE_FAN_IN)

    def key(layer: int, j: int) -> str:
        return f"noop-{t}-{j}" if layer == 0 else f"combine-{t}-{layer}-{j}"

    graph = {key(0, j): Task(key(0, j), work.noop, j) for j in range(width)}
    for layer in range(1, WIDE_DEPTH):
        for j in range(width):
            refs = [TaskRef(key(layer - 1, p)) for p in _wide_parents(j, width)]
            graph[key(layer, j)] = Task(key(layer, j), work.combine, *refs)
    last = List(*(TaskRef(key(WIDE_DEPTH - 1, j)) for j in range(width)))
    graph[f"total-{t}"] = Task(f"total-{t}", work.total, last)
    return _get(client, graph, f"total-{t}")


# -- daskflow -------------------------------------------------------------------

noop_task = task(work.noop)
inc_task = task(work.inc)
total_task = task(work.total)
combine_task = task(work.combine)
extract_task = task(work.extract)
transform_task = task(work.transform)
aggregate_task = task(work.aggregate)
load_task = task(work.load)


@flow
def fanout_flow(n: int) -> int:
    return total_task([noop_task(i) for i in range(n)])


@flow
def chain_flow(n: int) -> int:
    x = noop_task(0)
    for _ in range(1, n):
        x = inc_task(x)
    return x  # type: ignore[return-value]


@flow
def etl_flow(partitions: int, floats: int) -> tuple[float, float, int]:
    summaries = [aggregate_task(transform_task(extract_task(i, floats))) for i in range(partitions)]
    return load_task(summaries)


@flow
def wide_flow(n: int) -> int:
    width = max(n // WIDE_DEPTH, WIDE_FAN_IN)
    layer = [noop_task(j) for j in range(width)]
    for _ in range(1, WIDE_DEPTH):
        layer = [combine_task(*(layer[p] for p in _wide_parents(j, width))) for j in range(width)]
    return total_task(layer)


def flow_fanout(executor: Executor, n: int, fuse: bool | None = None, **_: Any) -> Any:
    return fanout_flow.with_options(fuse=fuse).run(n, executor=executor).result()


def flow_chain(executor: Executor, n: int, fuse: bool | None = None, **_: Any) -> Any:
    return chain_flow.with_options(fuse=fuse).run(n, executor=executor).result()


def flow_etl(
    executor: Executor, n: int, partition_mb: float = ETL_PARTITION_MB, fuse: bool | None = None, **_: Any
) -> Any:
    return etl_flow.with_options(fuse=fuse).run(n, etl_floats(partition_mb), executor=executor).result()


def flow_wide(executor: Executor, n: int, fuse: bool | None = None, **_: Any) -> Any:
    return wide_flow.with_options(fuse=fuse).run(n, executor=executor).result()


# -- the registry ----------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """One workload: its sizes, its task count, and its raw-Dask and daskflow runners."""

    name: str
    description: str
    sizes: tuple[int, ...]
    tasks: Callable[[int], int]
    raw: Callable[..., Any]
    daskflow: Callable[..., Any]
    #: Whether fusion (chains, sibling batches) changes this shape's graph, so the suite also times it unfused.
    fusable: bool = False


SHAPES: dict[str, Shape] = {
    shape.name: shape
    for shape in (
        Shape(
            "fanout",
            "n independent no-op tasks, then one reduce over all of them",
            (1_000, 10_000, 100_000),
            lambda n: n + 1,
            raw_fanout,
            flow_fanout,
            True,
        ),
        Shape("chain", "n tasks, each depending on the one before", (1_000,), lambda n: n, raw_chain, flow_chain, True),
        Shape(
            "etl",
            "extract -> transform -> aggregate per partition (numpy), then one load",
            (200,),
            lambda n: 3 * n + 1,
            raw_etl,
            flow_etl,
            True,
        ),
        Shape(
            "wide",
            f"{WIDE_DEPTH} layers of n/{WIDE_DEPTH} tasks, each on {WIDE_FAN_IN} of the layer before",
            (2_000,),
            lambda n: max(n // WIDE_DEPTH, WIDE_FAN_IN) * WIDE_DEPTH + 1,
            raw_wide,
            flow_wide,
        ),
    )
}
