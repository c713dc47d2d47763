"""Secrets of notifiers: read from environment variables when sending, never stored, never shown.

A notifier built with ``url_env="SLACK_WEBHOOK"`` stores only the variable's
name; ``resolve`` reads its value in the process that delivers, and
``redact`` blanks every resolved secret out of error text before it is
logged or recorded. A process whose environment lacks the variable raises
``MissingSecret`` and leaves the notification for one that has it.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterable, Mapping

from ..records.errors import OrchestratorError

__all__ = ["MissingSecret", "redact", "redacted_url", "resolve"]


class MissingSecret(OrchestratorError, LookupError):
    """Raised when a notifier's environment variable is not set in the delivering process.

    The notification waits in the outbox; set the variable where ``daskflow serve`` or the flow runs.
    """

    def __init__(self, variable: str) -> None:
        super().__init__(f"the environment variable {variable} is not set in this process")
        self.variable = variable

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.variable,))


def resolve(literal: str | None, variable: str | None, env: Mapping[str, str] | None = None) -> str:
    """The literal value if given, else the environment variable's value (``MissingSecret`` if unset)."""
    if literal is not None:
        return literal
    assert variable is not None
    value = (os.environ if env is None else env).get(variable)
    if not value:
        raise MissingSecret(variable)
    return value


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (and its URL-quoted form) replaced by ``***``."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***").replace(urllib.parse.quote(secret, safe=""), "***")
    return text


def redacted_url(url: str) -> str:
    """Scheme, host and port of ``url``, with "/..." standing for a path: webhook paths often hold tokens."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    rest = "/..." if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"
