"""The run store: where flow runs, task runs, their transitions and logs are recorded.

``open_store()`` returns a ``RunStore``; today that is always a ``SQLiteStore``
on one file, and the protocol leaves room for a server database later. The
driver writes through it (flow run state, heartbeats, batched task events and
logs), and the CLI and the dashboard read from it. ``store.schedules`` holds
``daskflow serve``'s schedules, claimed ticks and lease; ``store.outbox`` the
notifications waiting to be delivered. Importing this package opens nothing.
"""

from .errors import AmbiguousRunIdError, LeaseLost, RunAlreadyStarted, StoreDamaged, StoreError, StoreFull, StoreLocked
from .liveness import DriverIdentity
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
from .schedule_book import LeaseRow, ScheduleRow, TickClaim, TickRow
from .schema import SCHEMA_VERSION
from .sqlite import SQLiteStore

__all__ = [
    "SCHEMA_VERSION",
    "STATES",
    "TERMINAL_STATES",
    "AmbiguousRunIdError",
    "AttemptRow",
    "ClaimedNotification",
    "DriverIdentity",
    "FlowRunRow",
    "LeaseLost",
    "LeaseRow",
    "LogEvent",
    "LogRow",
    "NotificationRow",
    "Outbox",
    "RunAlreadyStarted",
    "RunStore",
    "SQLiteStore",
    "ScheduleBook",
    "ScheduleRow",
    "StoreDamaged",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "TaskError",
    "TaskEvent",
    "TaskRunRow",
    "TickClaim",
    "TickRow",
    "TransitionRow",
    "default_store_path",
    "open_store",
]
