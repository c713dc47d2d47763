"""``prefect.tasks``: ``task``, ``Task``, ``exponential_backoff`` and ``task_input_hash`` (Prefect 2/3);
``control_flow`` (Prefect 1)."""

from __future__ import annotations

from ...keywords import task_input_hash
from ...tasks import Task, exponential_backoff, task

__all__ = ["Task", "exponential_backoff", "task", "task_input_hash"]
