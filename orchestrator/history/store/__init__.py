"""The run store: where flow runs, task runs, their transitions and logs are recorded,
with the persisted results, resume links and concurrency limits (``results``, ``limits``).

``open_store()`` returns a ``RunStore``; today that is always a ``SQLiteStore``
on one file, and the protocol leaves room for a server database later. The
driver writes through it (flow run state, heartbeats, batched task events and
logs), and the CLI and the dashboard read from it. ``store.schedules`` holds
``daskflow serve``'s schedules, claimed ticks and lease; ``store.outbox`` the
notifications waiting to be delivered. Importing this package opens nothing.
"""

from .errors import AmbiguousRunIdError, LeaseLost, RunAlreadyStarted, StoreError
from .limits import LimitTable
from .location import default_store_path, open_store
from .outbox import AttemptRow, ClaimedNotification, NotificationRow
from .protocol import Outbox, RunStore, ScheduleBook
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
from .schedule_book import LeaseRow, ScheduleRow, TickClaim, TickRow
from .schema import SCHEMA_VERSION
from .sqlite import SQLiteStore

__all__ = [
    "SCHEMA_VERSION",
    "STATES",
    "TERMINAL_STATES",
    "AmbiguousRunIdError",
    "AttemptRow",
    "CacheEntryRow",
    "ClaimedNotification",
    "FlowRunRow",
    "LeaseLost",
    "LeaseRow",
    "LimitTable",
    "LogEvent",
    "LogRow",
    "NotificationRow",
    "Outbox",
    "ResultIndex",
    "RunAlreadyStarted",
    "RunOrigin",
    "RunStore",
    "SQLiteStore",
    "ScheduleBook",
    "ScheduleRow",
    "StoreError",
    "TaskError",
    "TaskEvent",
    "TaskRunRow",
    "TickClaim",
    "TickRow",
    "TransitionRow",
    "default_store_path",
    "open_store",
]
