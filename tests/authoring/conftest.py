"""Fixtures of the authoring tests: a submission-counting executor and a collector of run events.

(Test modules are imported with ``--import-mode=importlib``, so helpers are fixtures, not imports.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import pytest

from executors import LocalExecutor
from executors.base import Annotations, Graph, Handle
from orchestrator.engine.observers import add_run_observer
from orchestrator.engine.run_engine import RunEngine


class CountingExecutor(LocalExecutor):
    """A real synchronous LocalExecutor that counts submissions, to prove a graph was built without a flush."""

    def __init__(self) -> None:
        super().__init__()
        self.submissions = 0

    def submit(self, graph: Graph, keys: Sequence[str], annotations: Annotations | None = None) -> list[Handle]:
        self.submissions += 1
        return super().submit(graph, keys, annotations)


class RunEvents:
    """The raw events (state changes and log batches) of flow runs, as the driver heard them."""

    def __init__(self) -> None:
        self.events: list[Mapping[str, Any]] = []

    def attach(self, engine: RunEngine) -> None:
        engine.listeners.append(self.events.append)

    def logs(self) -> list[Mapping[str, Any]]:
        """The log records carried by the events, in arrival order."""
        return [record for event in self.events if event.get("kind") == "logs" for record in event["records"]]


@pytest.fixture
def counting() -> CountingExecutor:
    """A fresh submission-counting synchronous LocalExecutor."""
    return CountingExecutor()


@pytest.fixture
def run_events() -> Iterator[RunEvents]:
    """Collects the events of every flow run started during the test."""
    collector = RunEvents()
    with add_run_observer(collector.attach):
        yield collector
