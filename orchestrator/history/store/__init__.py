"""The run store: where flow runs, task runs, their transitions and logs are recorded,
with the persisted results, resume links and concurrency limits (``results``, ``limits``).

``open_store()`` returns a ``RunStore``; today that is always a ``SQLiteStore``
on one file, and the protocol leaves room for a server database later. The
driver writes through it (flow run state, heartbeats, batched task events and
logs), and the CLI and the dashboard read from it. Importing this package opens
nothing.
"""

from .errors import AmbiguousRunIdError, StoreError
from .limits import LimitTable
from .location import default_store_path, open_store
from .protocol import RunStore
from .records import (
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
from .results import CacheEntryRow, ResultIndex, RunOrigin
from .schema import SCHEMA_VERSION
from .sqlite import SQLiteStore

__all__ = [
    "SCHEMA_VERSION",
    "STATES",
    "TERMINAL_STATES",
    "AmbiguousRunIdError",
    "CacheEntryRow",
    "FlowRunRow",
    "LimitTable",
    "LogEvent",
    "LogRow",
    "ResultIndex",
    "RunOrigin",
    "RunStore",
    "SQLiteStore",
    "StoreError",
    "TaskError",
    "TaskEvent",
    "TaskRunRow",
    "TransitionRow",
    "default_store_path",
    "open_store",
]
