"""``daskflow dashboard``: a live web dashboard over the run store, served by tornado.

Owns the server (``app``: routes, ``serve``), its security (``security``:
the per-launch token, the Host and Origin checks, XSRF, the CSP), store reads
off the event loop (``reader``), live updates as Server-Sent Events keyed by
the store's row ids (``sse``, ``streams``), the compact column data the
Canvas timeline draws (``columns``), the numbers the pages show (``summaries``,
reusing ``views.bench_stats``), the handlers per page and API (``api_*``,
``pages``, ``actions``), and how a running dashboard is found by ``daskflow
run``, ``daskflow demo`` and notebook progress (``discovery``). The front end
is plain ES modules and CSS in ``static/``, with no build step.

May import: the store (``history.store``), ``records``, the other views, and
tornado (which distributed brings). Importing this package imports neither
tornado nor the server: ``discovery`` is what the rest of the views use.
"""
