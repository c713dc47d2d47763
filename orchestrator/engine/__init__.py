"""The driver that compiles flows into Dask graphs, submits them and collects states.

Owns the run engine (``run_engine``: build lazily, flush in batches, hear
events, decide the run), the lazy graph node ``TaskFuture`` and the argument
markers (``futures``), the graph compiler (``graph``), chain fusion and
sibling batches (``fusion``, ``batching``), the current run (``context``),
the value a run returns (``run_value``), shipping the user's modules
(``shipping``), routing events to runs (``routing``), reading Dask's failures
(``failures``), what watches a
run (``observers``: the recorder, and the displays the views install), and
what a run decides about caching and slots: its settings read from the store
before it starts (``run_settings``: result storage, the run it resumes, tag
limits), task fingerprints (``fingerprints``) and per-task plans
(``task_plans``).

May import: ``orchestrator.worker``, ``orchestrator.history``,
``orchestrator.records`` and ``executors``. What the user writes
(``orchestrator.authoring``) reaches it through the ``NodeTask`` protocol and
engine methods a Prefect 1 block overrides, never an import.
"""
