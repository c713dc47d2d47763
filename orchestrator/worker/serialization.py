"""Shipping task definitions to workers once, and checking values can cross processes.

A ``TaskSpec`` bundles what every call of one task in one run shares: the
task (its function and options), the run's ``RunInfo`` (its id, event
topic, flow name and logging settings) and its ``TaskPlan`` (caching and
concurrency slots, orchestrator.worker.cache; None for most tasks). The
driver cloudpickles it
once per run; within one submitted graph the pickle memo sends those bytes
once. Unpickling yields a *lazy* spec cached per process by token, so

* the scheduler, which unpickles graphs, never imports the user's module
  (a module missing there no longer fails the submission), and
* each worker deserialises the function once, on first use, not per task.
"""

from __future__ import annotations

import dataclasses
import logging
import pickle
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol

import cloudpickle

if TYPE_CHECKING:
    from ..records.options import TaskOptions
    from .cache import TaskPlan

__all__ = ["INLINE", "SCALAR_TYPES", "RunInfo", "TaskLike", "TaskSpec", "unpicklable_reason"]


class TaskLike(Protocol):
    """What the worker needs of a task: its name, its undecorated function and its options.

    ``orchestrator.authoring.tasks.Task`` is one; the worker never imports it.
    """

    name: str
    fn: Callable[..., Any]
    options: TaskOptions


_CACHE_LIMIT = 4096
_CACHE: OrderedDict[str, TaskSpec] = OrderedDict()
_CACHE_LOCK = threading.Lock()


@dataclasses.dataclass(frozen=True)
class RunInfo:
    """What every task of one flow run shares on the worker, decided on the driver at run start.

    ``log_level`` is the run loggers' level: records below it are dropped where
    they are made. ``echo_prints``: ``print()`` under ``log_prints`` also prints
    where the task runs, because the driver does not show run logs on its console.
    """

    run_id: str
    topic: str
    flow_name: str = ""
    log_level: int = logging.INFO
    echo_prints: bool = False
    #: The flow run's validated parameters, for Prefect 1's ``prefect.context.parameters``.
    parameters: Mapping[str, Any] = dataclasses.field(default_factory=dict)


#: The run info of a task called outside any flow: no run, no topic (its events and records go
#: nowhere), so prints under ``log_prints`` are echoed where they are made.
INLINE = RunInfo("", "", echo_prints=True)


class TaskSpec:
    """One task and its run identity, shared by all its calls in a run."""

    __slots__ = ("_loaded", "_payload", "token")

    def __init__(self, token: str, payload: bytes | None, loaded: tuple[Any, ...] | None = None) -> None:
        self.token = token
        self._payload = payload
        self._loaded = loaded

    @classmethod
    def build(cls, token: str, task: TaskLike, run: RunInfo, plan: TaskPlan | None = None) -> TaskSpec:
        return cls(token, None, (task, run, plan))

    def __reduce__(self) -> tuple[Any, ...]:
        if self._payload is None:
            assert self._loaded is not None
            self._payload = cloudpickle.dumps(self._loaded, protocol=pickle.HIGHEST_PROTOCOL)
        return (_restore, (self.token, self._payload))

    def load(self) -> tuple[TaskLike, RunInfo, TaskPlan | None]:
        """``(task, run, plan)``, deserialised on first use in this process."""
        loaded = self._loaded
        if loaded is None:
            assert self._payload is not None
            loaded = self._loaded = pickle.loads(self._payload)
        return loaded


def _restore(token: str, payload: bytes) -> TaskSpec:
    with _CACHE_LOCK:
        spec = _CACHE.get(token)
        if spec is None:
            spec = _CACHE[token] = TaskSpec(token, payload)
            if len(_CACHE) > _CACHE_LIMIT:
                _CACHE.popitem(last=False)
        return spec


#: Types whose values always pickle and never need a closer look (or shipping by value).
SCALAR_TYPES: Final = frozenset({type(None), bool, int, float, str, bytes, complex})


def _keep_buffers(buffer: pickle.PickleBuffer) -> bool:
    """Out-of-band buffers are not copied: checking a large array costs O(1)."""
    return False


def unpicklable_reason(value: Any) -> str | None:
    """None if ``value`` pickles (with cloudpickle as the fallback, like Dask), else why not."""
    if type(value) in SCALAR_TYPES:
        return None
    try:
        pickle.dumps(value, protocol=5, buffer_callback=_keep_buffers)
        return None
    except Exception:  # noqa: BLE001 - any failure means: try cloudpickle, like Dask does
        pass
    try:
        cloudpickle.dumps(value, protocol=5, buffer_callback=_keep_buffers)
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"
