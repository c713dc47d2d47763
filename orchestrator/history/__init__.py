"""The run history: the driver's recorder and the run store it writes.

Owns ``recorder`` (records a flow run as it happens: events to a writer
child, heartbeats, the run's end) and ``store/`` (the ``RunStore`` protocol,
the SQLite store, its schema and migrations, the writer child, and the
records of persisted results, resumed runs and concurrency limits). The CLI
and the dashboard read the store.

May import: ``orchestrator.records`` and ``executors``. The store itself
imports only ``executors.errors`` and the standard library, so any process
(a CLI, a dashboard) can read it cheaply.
"""
