"""The run history: the driver's recorder and the run store it writes.

Owns ``recorder`` (records a flow run as it happens: events to a writer
child, heartbeats, the run's end) and ``store/`` (the ``RunStore`` protocol,
the SQLite store, its schema and migrations, the writer child, schedules'
ticks and lease, the notification outbox, and the records of persisted
results, resumed runs and concurrency limits) and ``deliveries`` (the slot
through which the notify package delivers what this process enqueued). The
CLI and the dashboard read the store.

May import: ``orchestrator.records`` and ``executors``. The store itself
imports only ``executors.errors`` and the standard library, so any process
(a CLI, a dashboard) can read it cheaply.
"""
