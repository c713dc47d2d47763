"""``prefect.task_runners`` (Prefect 2/3): sequential and thread-pool task runners, as daskflow executors."""

from __future__ import annotations

from ..runners import ConcurrentTaskRunner, SequentialTaskRunner, ThreadPoolTaskRunner

__all__ = ["ConcurrentTaskRunner", "SequentialTaskRunner", "ThreadPoolTaskRunner"]
