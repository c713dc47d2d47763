"""Notifications: the notifiers users put in ``@flow(notify=[...])`` and the deliverer that sends them.

Owns the notifiers (``notifiers``: ``Slack``, ``Webhook``, ``Email``,
``Hook``), reading their secrets from the environment (``secrets``), what a
notification says (``messages``), sending one (``senders``), the deliverer
that claims due rows from the store's outbox, sends with retries and backoff
and records every attempt (``deliverer``), and the background delivery of
what this process enqueued (``background``, installed into
``orchestrator.history.deliveries`` by the package root).

Which processes deliver: the driver, after its run's end is recorded (in a
background thread it waits for at exit); any process that reaped a crashed
run (``daskflow runs ls`` and the like); ``daskflow serve``, continuously,
for every pending notification; and ``daskflow notifications deliver``.

May import: ``orchestrator.history``, ``orchestrator.records`` and
``executors``. It sits beside the engine: neither needs the other.
"""

from .background import wait_for_deliveries
from .deliverer import Deliverer
from .messages import Notification
from .notifiers import Email, Hook, Slack, Webhook
from .secrets import MissingSecret

__all__ = ["Deliverer", "Email", "Hook", "MissingSecret", "Notification", "Slack", "Webhook", "wait_for_deliveries"]
