"""``prefect`` on daskflow: the names Prefect 1 and Prefect 2/3 code imports from ``prefect``.

Change ``import prefect`` to ``import orchestrator.compat.prefect as prefect``
(or ``from prefect import ...`` to ``from orchestrator.compat.prefect import
...``) and nothing else. See orchestrator.compat for how each name maps.
"""

from __future__ import annotations

from ...authoring.prefect1 import Parameter
from ...authoring.tasks import tags
from ...engine.futures import flatten, unmapped
from ...worker.run_logs import get_run_logger
from ..control_flow import case
from ..flows import Flow, flow
from ..futures import allow_failure
from ..run_context import context
from ..states import State
from ..tasks import Task, task

__all__ = [
    "Flow",
    "Parameter",
    "State",
    "Task",
    "allow_failure",
    "case",
    "context",
    "flatten",
    "flow",
    "get_run_logger",
    "tags",
    "task",
    "unmapped",
]
