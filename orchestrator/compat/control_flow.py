"""Prefect 1's ``prefect.tasks.control_flow``: ``case``, ``merge``, ``ifelse`` and ``switch``.

``case``, ``merge`` and ``ifelse`` are daskflow's own (orchestrator.authoring.conditional),
which already decide on the cluster as Prefect 1's did. ``switch(condition, cases)``
runs the one task of ``cases`` whose key equals the condition's value; the others
end Skipped, and ``merge`` picks the branch that ran.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..authoring.conditional import case, ifelse, merge
from ..engine.futures import TaskFuture
from ..records.errors import FlowDefinitionError

__all__ = ["case", "ifelse", "merge", "switch"]


def switch(condition: Any, cases: Mapping[Any, Any], mapped: bool = False) -> None:
    """Run ``cases[value]`` where ``value`` is the condition's value; every other case is Skipped."""
    if mapped:
        raise FlowDefinitionError("switch(mapped=True) is not supported; map inside each case's task instead")
    if not isinstance(cases, Mapping) or not cases:
        raise FlowDefinitionError("switch() takes a dict from each value to the task to run for it")
    for value, branch in cases.items():
        with case(condition, value) as block:
            if isinstance(branch, TaskFuture):
                assert block.condition is not None
                branch.set_upstream(block.condition)
            elif callable(branch):
                branch()
            else:
                raise FlowDefinitionError(
                    f"switch(): the case for {value!r} is not a task, got {type(branch).__name__}"
                )
