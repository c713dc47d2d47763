"""What a flow run needs to know before it starts: result storage, the run it resumes, tag limits.

``prepare_run`` runs in ``Flow.run`` before anything is recorded or submitted,
so a bad ``resume=`` or ``concurrency=`` is an error with nothing left
Running. Only a resume reads the run store there; the stored limits are read
when the run starts (``stored_limits``, from the planner), so a plain run
reaches its Running record no later than before.

* **Resume.** The old run must exist (a unique id prefix is enough), be a run
  of the same flow, and not be running. A run recorded Running whose driver
  ran on this host and is gone (SIGKILL) is marked Crashed here, by the
  store's process check (``store.reap_dead_drivers``), and resumed; one whose
  driver ran elsewhere is Crashed once its heartbeat is older than
  ``DASKFLOW_HEARTBEAT_GRACE``. What it can give the new run is
  every result its Completed and Cached task runs persisted, by task name
  and cache key (``store.results.reusable``): the new run reruns everything
  else, and anything whose key changed.
* **Limits.** The run's own ``concurrency=``; on top of the store's tag
  limits (``daskflow concurrency set``), tag by tag.
* **Storage.** The flow's ``result_storage``, or ``$DASKFLOW_HOME/results``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..records.errors import FlowDefinitionError, ResumeError
from ..records.options import FlowOptions, storage_url

if TYPE_CHECKING:
    from ..history.store import RunStore

# The history layer (the recorder, the store and sqlite) loads when a run starts, in the functions
# below, not when a flow file runs ``from orchestrator import flow, task``: 0.05 s of that import.

__all__ = ["ResumePoint", "RunSettings", "prepare_run", "stored_limits"]

_log = logging.getLogger("daskflow.engine")


@dataclass(frozen=True)
class ResumePoint:
    """The run a new run resumes, and its reusable results: task name -> cache key -> location."""

    run_id: str
    results: Mapping[str, Mapping[str, str]]

    @property
    def count(self) -> int:
        return sum(len(keys) for keys in self.results.values())


@dataclass(frozen=True)
class RunSettings:
    """A run's result storage root, default ``persist_result``, resume point and its own tag limits."""

    storage: str
    #: Whether the flow names its storage (then every run probes it at start), or it is the default.
    storage_given: bool = False
    persist_default: bool | None = None
    resume: ResumePoint | None = None
    limits: Mapping[str, int] = field(default_factory=dict)


def prepare_run(
    flow_name: str,
    options: FlowOptions,
    resume: str | None = None,
    concurrency: Mapping[str, int] | None = None,
) -> RunSettings:
    """The settings of a new run of ``flow_name``; ``ResumeError`` / ``FlowDefinitionError`` for bad input."""
    from ..history.store import default_store_path

    limits = _check_concurrency(flow_name, concurrency)
    point = _resume_point(_resume_store(), resume, flow_name) if resume is not None else None
    root = options.result_storage
    storage = os.fspath(root) if root is not None else storage_url(default_store_path().parent / "results", "")
    return RunSettings(storage, root is not None, options.persist_result, point, limits)


def stored_limits() -> dict[str, int]:
    """The store's tag limits; none if there is no store yet (or it cannot be read: said in the log)."""
    from ..history.recorder import open_history_store, recording_enabled
    from ..history.store import StoreError, default_store_path

    path = default_store_path()
    if not (recording_enabled() or path.exists()):
        return {}
    try:
        return open_history_store(path).limits.all()
    except StoreError as exc:
        _log.warning("the stored concurrency limits cannot be read, so this run has only its own: %s", exc)
        return {}


def _check_concurrency(flow_name: str, concurrency: Mapping[str, int] | None) -> dict[str, int]:
    if concurrency is None:
        return {}
    ok = isinstance(concurrency, Mapping) and all(
        isinstance(tag, str) and tag and isinstance(n, int) and not isinstance(n, bool) and n >= 1
        for tag, n in concurrency.items()
    )
    if not ok:
        message = (
            f"flow {flow_name!r}: concurrency= maps tags to how many of their tasks may run at once, "
            f"like {{'db': 2}} (whole numbers >= 1), got {concurrency!r}"
        )
        raise FlowDefinitionError(message)
    return dict(concurrency)


def _resume_store() -> RunStore:
    from ..history.recorder import open_history_store
    from ..history.store import StoreError, default_store_path

    path = default_store_path()
    try:
        return open_history_store(path)
    except StoreError as exc:
        raise ResumeError(f"cannot resume: the run store {path} cannot be opened ({exc})") from exc


def _resume_point(store: RunStore, run_id: str, flow_name: str) -> ResumePoint:
    from ..history.store import AmbiguousRunIdError, default_store_path
    from ..history.store.liveness import this_driver

    try:
        old = store.get_flow_run(run_id)
    except AmbiguousRunIdError as exc:
        raise ResumeError(f"cannot resume: {exc}") from None
    if old is None:
        message = (
            f"cannot resume flow run {run_id!r}: it is not in the run store {default_store_path()}; "
            "list the runs with 'daskflow runs ls'"
        )
        raise ResumeError(message)
    if old.flow_name != flow_name:
        message = (
            f"cannot resume flow run {old.run_id} with flow {flow_name!r}: it is a run of flow {old.flow_name!r}; "
            "resume it with that flow"
        )
        raise ResumeError(message)
    if old.state == "Running":
        me = this_driver()
        if me is not None:  # a driver of this host that died is Crashed at once
            store.reap_dead_drivers(time.time(), me)
        old = store.get_flow_run(old.run_id) or old
    if old.state == "Running":
        silent = f", silent for {time.time() - old.heartbeat:.0f} s" if old.heartbeat else ""
        message = (
            f"cannot resume flow run {old.run_id}: it is still running (driver pid {old.pid} on {old.host}{silent}); "
            "wait for it to end or stop its driver (a dead driver's run is marked Crashed after "
            "DASKFLOW_HEARTBEAT_GRACE seconds), then resume"
        )
        raise ResumeError(message)
    return ResumePoint(old.run_id, store.results.reusable(old.run_id))
