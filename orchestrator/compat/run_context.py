"""Prefect 1's ``prefect.context``: what the running task or flow knows about itself.

``prefect.context.get("logger")``, ``prefect.context["logger"]`` and
``prefect.context.logger`` all work, inside a task (on its worker) or a flow
body. The keys daskflow knows:

| key | value |
|---|---|
| ``logger`` | the run logger (``get_run_logger()``); outside runs, the ``prefect`` logger |
| ``flow_name``, ``flow_run_id``, ``parameters`` | the flow run's name, id and parameters |
| ``task_name``, ``task_full_name``, ``task_run_id`` | the task's name, its call's name (``square[3]``), its key |
| ``map_index`` | the item of a mapped call (``None`` when not mapped) |
| ``task_run_count`` | the attempt, from 1 |
| ``today``, ``yesterday``, ``tomorrow``, ``date`` | UTC dates as ``YYYY-MM-DD``, and the UTC datetime |

Anything else is missing: ``get(key, default)`` gives the default and
``context[key]`` a ``KeyError``.
"""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterator
from typing import Any

from ..engine.context import current_engine
from ..worker.run_logs import NoRunContext, current_task_run, get_run_logger

__all__ = ["Context", "context"]

_MAP_INDEX = re.compile(r"\[(\d+)\]$")
_KEYS = ("logger", "flow_name", "flow_run_id", "parameters", "task_name", "task_full_name", "task_run_id",
         "map_index", "task_run_count", "today", "yesterday", "tomorrow", "date")  # fmt: skip
_MISSING: Any = object()


class Context:
    """``prefect.context``: see the module docstring."""

    def _lookup(self, key: str) -> Any:
        now = datetime.datetime.now(datetime.timezone.utc)
        dates = {"date": now, "today": now.date().isoformat(),
                 "yesterday": (now - datetime.timedelta(days=1)).date().isoformat(),
                 "tomorrow": (now + datetime.timedelta(days=1)).date().isoformat()}  # fmt: skip
        if key in dates:
            return dates[key]
        if key == "logger":
            try:
                return get_run_logger()
            except NoRunContext:
                return logging.getLogger("prefect")
        task = current_task_run()
        if task is not None:
            found = _MAP_INDEX.search(task.name)
            facts: dict[str, Any] = {
                "flow_name": task.flow_name, "flow_run_id": task.run_id, "parameters": dict(task.parameters),
                "task_name": task.task, "task_full_name": task.name, "task_run_id": task.key,
                "map_index": int(found.group(1)) if found else None, "task_run_count": task.attempt,
            }  # fmt: skip
            return facts.get(key, _MISSING)
        engine = current_engine()
        if engine is not None:
            run = engine.run
            return {"flow_name": run.flow_name, "flow_run_id": run.id, "parameters": dict(run.parameters)}.get(
                key, _MISSING
            )
        return _MISSING

    def get(self, key: str, default: Any = None) -> Any:
        value = self._lookup(key)
        return default if value is _MISSING else value

    def __getitem__(self, key: str) -> Any:
        value = self._lookup(key)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        value = self._lookup(key)
        if value is _MISSING:
            raise AttributeError(f"prefect.context has no {key!r} here")
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._lookup(key) is not _MISSING

    def __iter__(self) -> Iterator[str]:
        return iter(k for k in _KEYS if k in self)

    def __repr__(self) -> str:
        return "<prefect.context>"


context = Context()
