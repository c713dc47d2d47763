"""daskflow's benchmark suite: the same workloads on raw Dask and on daskflow.

Run it with ``python -m benchmarks`` from the repository root (``--help``
lists the options). The pieces:

* ``work``: the task bodies, plain functions shared by every runner;
* ``shapes``: each workload written twice, as a raw ``dask.task_spec`` graph
  submitted with ``client.get`` and as a daskflow ``@flow``;
* ``prefect_shapes``: the same workloads on Prefect 3 + ``prefect-dask``,
  used only when both are importable (the ``bench`` extra);
* ``harness``: the shared cluster, interleaved timing and medians;
* ``budget``: the performance budget of DESIGN.md, measured line by line;
* ``probe``: what the budget runs in a fresh subprocess (import time, RSS);
* ``report``: the table, the JSON file and the PNG plot.
* ``dashboard`` (``python -m benchmarks.dashboard``): the web dashboard's budgets in a
  real browser, on stores ``dashboard_store`` generates; ``dashboard_flows`` is the
  live run it watches.

Benchmarks never run in the test suite; ``tests/benchmarks`` only checks
that the harness works at tiny sizes.
"""
