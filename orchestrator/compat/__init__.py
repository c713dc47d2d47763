"""Prefect's module paths on daskflow: move Prefect 1 and Prefect 2/3 code by changing its imports.

``orchestrator.compat.prefect`` stands for ``prefect`` and
``orchestrator.compat.prefect_dask`` for ``prefect_dask``, with the same
submodules (``prefect.triggers``, ``prefect.tasks.control_flow``,
``prefect.task_runners``, ``prefect.futures``, ``prefect.states``...). They
hold no engine of their own: the modules here translate Prefect's names,
keywords and semantics onto daskflow's API.

Owns: ``keywords`` (Prefect keywords to daskflow options, or refused by
name), ``tasks`` and ``flows`` (Prefect 3's direct calls and final-state rule;
Prefect 1's class-based tasks, blocks and flow states), ``calls`` (what a
compat task runs on its worker), ``futures``, ``states``, ``signals``,
``triggers``, ``runners``, ``control_flow`` and ``run_context``.

May import: ``orchestrator.authoring`` and everything below it, and
``executors``. Nothing in daskflow imports it.
"""
