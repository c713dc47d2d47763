"""``prefect.tasks``: ``task``, ``Task`` and ``exponential_backoff`` (Prefect 3); ``control_flow`` (Prefect 1)."""

from __future__ import annotations

from ...tasks import Task, exponential_backoff, task

__all__ = ["Task", "exponential_backoff", "task"]
