"""What shows runs to people: the CLI, terminal and notebook progress, HTML, SVG and bench reports.

Owns ``cli/`` (the ``daskflow`` command), ``progress`` (per-task-name counts
and the plain-text display), ``notebook`` (live progress in Jupyter),
``run_html`` (a run as HTML), ``visualize`` (graphs as SVG), ``bench_stats``
and ``bench_html`` (what ``daskflow bench`` reports), and ``renderers`` (the
implementation of ``orchestrator.records.display``).

May import: every other subpackage and ``executors``. Nothing imports the
views but the package root, which installs their renderers and run displays
into the lower layers' registries.
"""
