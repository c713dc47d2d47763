"""The run store: where flow runs, task runs, their transitions and logs are recorded.

``open_store()`` returns a ``RunStore``; today that is always a ``SQLiteStore``
on one file, and the protocol leaves room for a server database later. The
driver writes through it (flow run state, heartbeats, batched task events and
logs, the compiled graph and where the run ran), and the CLI and the dashboard
read from it (the dashboard through ``RunStore.queries``). Importing this package opens
nothing.
"""

from .errors import AmbiguousRunIdError, StoreError
from .location import default_store_path, open_store
from .protocol import RunQueries, RunStore
from .read_models import (
    ErrorGroup,
    FlowChanges,
    GraphNode,
    LogFilter,
    LogLine,
    LogWindow,
    RunFilter,
    RunInfo,
    RunsPage,
    TaskColumns,
)
from .records import (
    STATE_ORDER,
    STATES,
    TERMINAL_STATES,
    FlowRunRow,
    LogEvent,
    LogRow,
    TaskError,
    TaskEvent,
    TaskRunRow,
    TransitionRow,
)
from .schema import SCHEMA_VERSION
from .sqlite import SQLiteStore

__all__ = [
    "SCHEMA_VERSION",
    "STATES",
    "STATE_ORDER",
    "TERMINAL_STATES",
    "AmbiguousRunIdError",
    "ErrorGroup",
    "FlowChanges",
    "FlowRunRow",
    "GraphNode",
    "LogEvent",
    "LogFilter",
    "LogLine",
    "LogRow",
    "LogWindow",
    "RunFilter",
    "RunInfo",
    "RunQueries",
    "RunStore",
    "RunsPage",
    "SQLiteStore",
    "StoreError",
    "TaskColumns",
    "TaskError",
    "TaskEvent",
    "TaskRunRow",
    "TransitionRow",
    "default_store_path",
    "open_store",
]
