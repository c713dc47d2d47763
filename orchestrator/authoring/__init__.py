"""What users write: ``@task``, ``@flow``, Prefect 1 blocks, branching, and loading flows.

Owns ``tasks`` (``Task``, ``task``), ``flows`` (``Flow``, ``flow``, flow hooks),
``parameters`` (validation with pydantic), ``conditional`` (``case``,
``merge``, ``ifelse``), ``prefect1`` (``with Flow(...)`` blocks,
``Parameter``), ``to_dask`` (a flow as a plain Dask graph) and ``loader``
(``PATH:FLOW``).

May import: ``orchestrator.engine`` and everything below it (worker, history,
records) and ``executors``. Never the views.
"""
