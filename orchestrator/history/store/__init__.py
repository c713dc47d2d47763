"""The run store: where flow runs, task runs, their transitions and logs are recorded,
with the persisted results, resume links and concurrency limits (``results``, ``limits``).

``open_store()`` returns a ``RunStore``; today that is always a ``SQLiteStore``
on one file, and the protocol leaves room for a server database later. The
driver writes through it (flow run state, heartbeats, batched task events and
logs, the compiled graph and where the run ran), and the CLI and the dashboard
read from it (the dashboard through ``RunStore.queries``). ``store.schedules``
holds ``daskflow serve``'s schedules, claimed ticks and lease; ``store.outbox``
the notifications waiting to be delivered. Importing this package opens nothing.
"""

from .errors import AmbiguousRunIdError, LeaseLost, RunAlreadyStarted, StoreDamaged, StoreError, StoreFull, StoreLocked
from .limits import LimitTable
from .liveness import DriverIdentity
from .location import default_store_path, open_store
from .outbox import AttemptRow, ClaimedNotification, NotificationRow
from .protocol import Outbox, RunQueries, RunStore, ScheduleBook
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
from .results import CacheEntryRow, ResultIndex, RunOrigin
from .schedule_book import LeaseRow, ScheduleRow, TickClaim, TickRow
from .schema import SCHEMA_VERSION
from .sqlite import SQLiteStore

__all__ = [
    "SCHEMA_VERSION",
    "STATES",
    "STATE_ORDER",
    "TERMINAL_STATES",
    "AmbiguousRunIdError",
    "AttemptRow",
    "CacheEntryRow",
    "ClaimedNotification",
    "DriverIdentity",
    "ErrorGroup",
    "FlowChanges",
    "FlowRunRow",
    "GraphNode",
    "LeaseLost",
    "LeaseRow",
    "LimitTable",
    "LogEvent",
    "LogFilter",
    "LogLine",
    "LogRow",
    "LogWindow",
    "NotificationRow",
    "Outbox",
    "ResultIndex",
    "RunAlreadyStarted",
    "RunFilter",
    "RunInfo",
    "RunOrigin",
    "RunQueries",
    "RunStore",
    "RunsPage",
    "SQLiteStore",
    "ScheduleBook",
    "ScheduleRow",
    "StoreDamaged",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "TaskColumns",
    "TaskError",
    "TaskEvent",
    "TaskRunRow",
    "TickClaim",
    "TickRow",
    "TransitionRow",
    "default_store_path",
    "open_store",
]
