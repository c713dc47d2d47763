"""What runs inside a Dask task on a worker (or in the driver, for local executors).

Owns the state layer (``state_layer``: triggers, retries, timeouts, events,
one final ``State`` per call) and what it needs around a call: the task spec
that ships once per run (``serialization``), argument templates
(``templates``), shipped argument values (``shipped``), timeouts in blocking
calls (``timeouts``), the run logger and ``print`` capture (``run_logs``,
``prints``), the Running watchdog (``watchdog``), interrupting a cancelled
run's bodies (``interrupts``), task hooks (``hooks``), ``get_dask_client``
(``dask_client``), and caching: call keys and lookups (``cache``), tokens
that are the same in every process (``tokens``), persisted result files
(``results``) and holding concurrency slots around an attempt (``limits``).

May import: ``orchestrator.records`` and ``executors``. Never the engine,
authoring, history or views: a worker knows a task only through the small
``TaskLike`` protocol of ``serialization``.
"""
