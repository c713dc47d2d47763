"""``daskflow dashboard``: a live web dashboard over the run store, served by tornado.

Owns, module by module:

* ``app``: the routes, and ``Dashboard`` (bind, serve, advertise, stop);
* ``security``: the per-launch token and its cookie, the Host and Origin
  checks, XSRF, the CSP; every handler derives from its ``GuardedHandler``;
* ``reader``: store reads on a thread pool, off the event loop;
* ``sse``: live updates as Server-Sent Events keyed by the store's row ids
  (and the same events as JSON for ``GET ?after=ID``); ``streams``: one
  run's stream;
* ``api_common``, ``api_runs``, ``api_run``, ``api_logs``, ``actions``,
  ``pages``: the handlers, per page and API;
* ``columns`` (the compact binary column data the Canvas timeline loads),
  ``serialize`` (the JSON shapes, and the only links a page gets),
  ``summaries`` (the strip, compare; ``views.bench_stats`` underneath),
  ``graph_view`` (the graph panel), ``run_cache`` (what a big run costs to
  compute, kept while its rows stay the same);
* ``discovery``: how ``daskflow run``, ``daskflow demo`` and notebook
  progress find a dashboard serving their store; ``local_processes``: PID
  checks for it and for cancelling;
* ``static/``: the front end, plain ES modules and CSS, no build step.

May import: the store (``history.store``), ``records``, the other views, and
tornado (which distributed brings). Importing this package imports neither
tornado nor the server: ``discovery`` is what the rest of the views use.
"""
