"""Prefect's task runners and Prefect 1's executors, as daskflow executors.

* ``SequentialTaskRunner``: ``LocalExecutor()`` (synchronous, in this process);
* ``ThreadPoolTaskRunner(max_workers=N)``, ``ConcurrentTaskRunner``: ``LocalExecutor(threads=N)``;
* ``DaskTaskRunner(...)`` and Prefect 1's ``DaskExecutor(...)``: ``DaskExecutor``, with
  ``address=``, ``cluster_class=`` (a class or a dotted name), ``cluster_kwargs=``,
  ``adapt_kwargs=`` and ``client_kwargs=``;
* Prefect 1's ``LocalExecutor()``: ``LocalExecutor()``;
* Prefect 1's ``LocalDaskExecutor(scheduler=..., num_workers=N)``: threads give
  ``LocalExecutor(threads=N)``, processes a ``LocalCluster`` of N single-thread
  worker processes, synchronous ``LocalExecutor()``.

``cluster_kwargs`` without ``cluster_class`` means a ``LocalCluster`` with those
settings, as in prefect-dask. Without any, ``DaskTaskRunner()`` uses daskflow's
embedded ``LocalCluster``, started once per process rather than once per run.
The thread pool default (``min(32, cores + 4)`` threads) is what a compat
``@flow`` runs on, as Prefect 3's ``ThreadPoolTaskRunner`` is its default.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from executors import Executor, LocalExecutor
from executors.dask_cluster import DaskExecutor as NativeDaskExecutor

from ..records.errors import FlowDefinitionError

__all__ = [
    "ConcurrentTaskRunner",
    "DaskExecutor",
    "DaskTaskRunner",
    "LocalDaskExecutor",
    "SequentialTaskRunner",
    "ThreadPoolTaskRunner",
    "default_threads",
    "executor_of",
]


def default_threads() -> int:
    """The size of Python's (and Prefect 3's) default thread pool on this machine."""
    return min(32, (os.cpu_count() or 1) + 4)


class SequentialTaskRunner(LocalExecutor):
    """Prefect 2's sequential runner: every task in this process, one after another."""

    def __init__(self) -> None:
        super().__init__()


class ThreadPoolTaskRunner(LocalExecutor):
    """Prefect 3's default runner: tasks on a pool of ``max_workers`` threads in this process."""

    def __init__(self, max_workers: int | None = None) -> None:
        super().__init__(threads=max_workers or default_threads())


class ConcurrentTaskRunner(ThreadPoolTaskRunner):
    """Prefect 2's concurrent runner: a thread pool, as in Prefect 3."""


def _cluster_factory(cluster_class: Any, who: str) -> Callable[..., Any] | None:
    """A class, a dotted name imported when the cluster starts, or None."""
    if cluster_class is None or callable(cluster_class):
        return cluster_class  # type: ignore[no-any-return]
    if not isinstance(cluster_class, str) or "." not in cluster_class:
        message = f"{who}: cluster_class takes a cluster class or its dotted name, like 'dask_jobqueue.SLURMCluster'"
        raise FlowDefinitionError(message)

    def make(**kwargs: Any) -> Any:
        module, _, name = cluster_class.rpartition(".")
        return getattr(importlib.import_module(module), name)(**kwargs)

    return make


def _local_cluster(**kwargs: Any) -> Any:
    from distributed import LocalCluster

    return LocalCluster(**{"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0", **kwargs})  # type: ignore[no-untyped-call]


class DaskTaskRunner(NativeDaskExecutor):
    """prefect-dask's ``DaskTaskRunner`` (and Prefect 1's ``DaskExecutor``) on daskflow's ``DaskExecutor``."""

    def __init__(
        self,
        cluster_class: Any = None,
        cluster_kwargs: Mapping[str, Any] | None = None,
        adapt_kwargs: Mapping[str, Any] | None = None,
        client_kwargs: Mapping[str, Any] | None = None,
        address: str | None = None,
        **unknown: Any,
    ) -> None:
        if unknown:
            names = ", ".join(sorted(unknown))
            raise FlowDefinitionError(
                f"{type(self).__name__}: daskflow cannot honour the keyword(s) {names}; remove them"
            )
        factory = _cluster_factory(cluster_class, type(self).__name__)
        if factory is None and cluster_kwargs is not None and address is None:
            factory = _local_cluster
        super().__init__(
            address=address,
            cluster_class=factory,  # type: ignore[arg-type]  # any callable that makes a cluster
            cluster_kwargs=cluster_kwargs if factory is not None else None,
            adapt=adapt_kwargs,
            client_kwargs=client_kwargs,
        )


class DaskExecutor(DaskTaskRunner):
    """Prefect 1's ``prefect.executors.DaskExecutor``: the same keywords as ``DaskTaskRunner``."""

    def __init__(
        self,
        address: str | None = None,
        cluster_class: Any = None,
        cluster_kwargs: Mapping[str, Any] | None = None,
        adapt_kwargs: Mapping[str, Any] | None = None,
        client_kwargs: Mapping[str, Any] | None = None,
        debug: bool = False,
    ) -> None:
        super().__init__(cluster_class, cluster_kwargs, adapt_kwargs, client_kwargs, address)


def LocalDaskExecutor(scheduler: str = "threads", num_workers: int | None = None, **kwargs: Any) -> Executor:  # noqa: N802 - Prefect's name
    """Prefect 1's ``LocalDaskExecutor``: threads, processes, or synchronous, in this machine."""
    workers = kwargs.pop("num_threads", None) or num_workers
    if kwargs:
        raise FlowDefinitionError(f"LocalDaskExecutor: daskflow cannot honour {', '.join(sorted(kwargs))}; remove them")
    if scheduler == "threads":
        return LocalExecutor(threads=workers or (os.cpu_count() or 1))
    if scheduler == "processes":
        n = workers or (os.cpu_count() or 1)
        return DaskTaskRunner(cluster_kwargs={"n_workers": n, "threads_per_worker": 1, "processes": True})
    if scheduler in ("synchronous", "sync"):
        return LocalExecutor()
    message = f"LocalDaskExecutor(scheduler={scheduler!r}): use 'threads', 'processes' or 'synchronous'"
    raise FlowDefinitionError(message)


def executor_of(value: Any, who: str) -> Executor:
    """A ``task_runner=`` / ``executor=``: an executor, or a runner class (Prefect 2 took the class itself)."""
    if isinstance(value, type) and issubclass(value, Executor):
        value = value()
    if isinstance(value, Executor):
        return value
    message = (
        f"{who}: task_runner/executor takes a task runner such as ThreadPoolTaskRunner() or DaskTaskRunner(), "
        f"or an executor such as LocalExecutor(); got {type(value).__name__}"
    )
    raise FlowDefinitionError(message)
