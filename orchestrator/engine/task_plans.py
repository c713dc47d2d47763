"""The driver's side of caching, persisted results and concurrency slots for one run.

``TaskPlanner`` turns a run's ``RunSettings`` into a ``TaskPlan`` per task
(orchestrator.worker.cache), once per task and run, when the task's spec is
built at a flush. A task that neither caches, persists nor carries a limited
tag gets None, and its calls cost nothing more than before.

* **Fingerprints** are computed here (orchestrator.engine.fingerprints). A
  task whose globals cannot be tokenized runs uncached for the run, after
  one ``CacheKeyWarning`` naming the task and the variable.
* **Calls** that could not be keyed on the worker report why in their final
  event (``nocache``); ``warn_uncached`` gives one warning per task at the
  end of the run, on the driver's thread.
* **Storage is probed** before the first task that persists is submitted
  (or at run start when the flow names its storage, persists by default, or
  resumes): the driver writes a token file under the root and every worker
  must read it back and write there (``Executor.run_everywhere``). A worker
  that cannot fails the run with ``ResultStorageUnavailable`` before that
  task runs.
* **Slots**: the stored limits are read when the run starts, under the run's
  own; a task with tags that have limits gets those tags' slot counts, and
  the executor is asked once per run to make slots enforceable.
"""

from __future__ import annotations

import threading
import uuid
import warnings
from collections.abc import Mapping
from typing import Any

from executors import Executor

from ..records.errors import CacheKeyWarning, ResultStorageUnavailable
from ..worker import results
from ..worker.cache import CachePlan, TaskPlan
from ..worker.tokens import NotDeterministic
from .fingerprints import task_fingerprint
from .futures import NodeTask
from .run_settings import RunSettings, stored_limits

__all__ = ["TaskPlanner"]


class TaskPlanner:
    """Plans for the tasks of one run; see the module docstring."""

    def __init__(self, settings: RunSettings, run_id: str) -> None:
        self.settings = settings
        self.run_id = run_id
        #: Tag -> slots for this run: the stored limits under the run's own (read at ``start``).
        self.limits: dict[str, int] = dict(settings.limits)
        #: Whether a plan that persists or reads results exists and the storage was not probed yet.
        self.probe_due = False
        self._probed = False
        self._uncached: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def probes_at_start(self) -> bool:
        """Whether the run surely uses its storage, so it is checked before the body runs."""
        settings = self.settings
        return settings.storage_given or bool(settings.persist_default) or settings.resume is not None

    def plan_for(self, task: NodeTask) -> TaskPlan | None:
        """The task's plan for this run, or None when it neither caches, persists nor takes slots."""
        settings = self.settings
        options = task.options
        slots = {tag: self.limits[tag] for tag in options.tags if tag in self.limits}
        persist = options.persists(settings.persist_default)
        resume = settings.resume.results.get(task.name) if settings.resume is not None else None
        cache: CachePlan | None = None
        if persist or options.cache_mode is not None or resume:
            cache = self._cache_plan(task, persist, resume)
        if cache is None and not slots:
            return None
        return TaskPlan(cache, slots)

    def _cache_plan(self, task: NodeTask, persist: bool, resume: Mapping[str, str] | None) -> CachePlan | None:
        try:
            fingerprint = task_fingerprint(task, task.source)
        except NotDeterministic as exc:
            self._warn(task.name, str(exc))
            return None
        options = task.options
        self.probe_due = self.probe_due or not self._probed
        return CachePlan(
            fingerprint,
            self.settings.storage,
            lookup=options.cache_mode is not None,
            persist=persist,
            refresh=options.refresh_cache,
            expiration=options.cache_expiration,  # type: ignore[arg-type]  # normalised to seconds
            resume=dict(resume or {}),
            resume_from=self.settings.resume.run_id if self.settings.resume is not None else None,
        )

    # -- at run start and at flushes ------------------------------------------------

    def start(self, executor: Executor) -> None:
        """Before the body runs: load the limits and make slots enforceable, and probe the storage if the run
        surely uses it."""
        self.limits = {**stored_limits(), **self.settings.limits}
        if self.limits:
            executor.enable_slots()
        if self.probes_at_start:
            self.probe(executor)

    def probe(self, executor: Executor) -> None:
        """Check every worker sees and can write the storage; ``ResultStorageUnavailable`` if one cannot."""
        self.probe_due = False
        if self._probed:
            return
        root = self.settings.storage
        name, token = f"{self.run_id}-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
        try:
            location = results.write_probe(root, name, token)
        except Exception as exc:
            raise ResultStorageUnavailable(root, {"the driver": f"{type(exc).__name__}: {exc}"}) from exc
        try:
            answers = executor.run_everywhere(results.probe_root, root, name, token)
        finally:
            results.delete_result(location)
        problems = {
            str(worker): (f"{type(answer).__name__}: {answer}" if isinstance(answer, BaseException) else str(answer))
            for worker, answer in answers.items()
            if answer is not None
        }
        if problems:
            raise ResultStorageUnavailable(root, problems)
        self._probed = True

    # -- warnings ---------------------------------------------------------------------

    def note(self, event: Mapping[str, Any]) -> None:
        """An event saying a call was not cached (on the executor's thread: only records it)."""
        with self._lock:
            self._uncached.setdefault(str(event.get("task")), str(event["nocache"]))

    def warn_uncached(self) -> None:
        """One ``CacheKeyWarning`` per task some of whose calls ran uncached; call on the driver's thread."""
        with self._lock:
            uncached, self._uncached = self._uncached, {}
        for task, reason in uncached.items():
            self._warn(task, reason, some_calls=True)

    def _warn(self, task: str, reason: str, some_calls: bool = False) -> None:
        which = "some of its calls ran" if some_calls else "it runs"
        message = (
            f"task {task!r} is not cached in flow run {self.run_id}: {reason}; {which} without a cache key. "
            "Pass plain data instead, give the task a cache_key_fn, or use cache='inputs' to leave its code "
            "and globals out of the key"
        )
        warnings.warn(message, CacheKeyWarning, stacklevel=4)
