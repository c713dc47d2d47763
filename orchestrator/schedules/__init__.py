"""Schedules: ``daskflow serve`` and ``flow.serve(...)`` run flows on cron, interval and rrule schedules.

Owns the schedule spec and its stable id (``specs``), tick times as pure
functions under the written DST policy (``ticks``), the catch-up policy
(``catchup``), the serve lease (``lease``), the serve loop that claims,
runs and watches (``server``), serving from Python (``entry``), and the
TOML file of several flows (``config``). The store side (claimed ticks,
the lease row) lives in ``orchestrator.history.store.schedule_book``.

It sits above authoring because every scheduled run goes through the
normal path, ``Flow.run`` on the flow's executor; it fills
``authoring.serving`` (the package root installs ``serve_flow`` there) so
that ``Flow.serve`` reaches it. May import
``orchestrator.authoring`` and everything below it, ``orchestrator.notify``
included (``serve`` delivers notifications), and ``executors``.
"""

from .entry import serve, serve_flow
from .server import Server, scheduled_run_id
from .specs import Schedule, ScheduleError

__all__ = ["Schedule", "ScheduleError", "Server", "scheduled_run_id", "serve", "serve_flow"]
