"""Sending one notification: an HTTP POST (Slack, Webhook), an SMTP message (Email) or a call (Hook).

``send(claimed, env)`` returns an ``Outcome``: whether it was delivered, a
short status (the HTTP code, ``sent``, ``returned``) and, when it was not,
the error with every secret blanked out (orchestrator.notify.secrets), so
the text can be logged and stored. It raises only ``MissingSecret`` (the
notification waits for a process that has the variable). Only the standard
library is used: ``urllib.request`` and ``smtplib``.
"""

from __future__ import annotations

import dataclasses
import email.message
import json
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from typing import Any

import cloudpickle

from ..history.store import ClaimedNotification
from .messages import Notification
from .secrets import MissingSecret, redact, resolve

__all__ = ["Outcome", "send"]

_USER_AGENT = "daskflow-notify/1"


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How one attempt went; ``error`` holds no secret."""

    ok: bool
    status: str | None
    error: str | None = None


def send(claimed: ClaimedNotification, env: Mapping[str, str] | None = None) -> Outcome:
    """Try to deliver ``claimed`` once; see the module docstring."""
    kind = claimed.row.kind
    config = claimed.config
    note = Notification.of(claimed)
    secrets: list[str] = []
    try:
        if kind in ("slack", "webhook"):
            url = resolve(config.get("url"), config.get("url_env"), env)
            secrets.append(url)
            headers = dict(config.get("headers") or {})
            for header, variable in (config.get("header_env") or {}).items():
                headers[header] = resolve(None, variable, env)
                secrets.append(headers[header])
            body = {"text": note.text()} if kind == "slack" else note.as_json()
            return _post(url, body, headers, note.id, claimed.timeout)
        if kind == "email":
            smtp_url = resolve(config.get("smtp_url"), config.get("smtp_url_env"), env)
            password = resolve(None, config["password_env"], env) if config.get("password_env") else None
            secrets += [smtp_url, password or "", urllib.parse.urlsplit(smtp_url).password or ""]
            return _mail(smtp_url, password, config, note, claimed.timeout)
        if kind == "hook":
            assert claimed.payload is not None
            fn = cloudpickle.loads(claimed.payload)
            fn(note)
            return Outcome(True, "returned")
        return Outcome(False, None, f"unknown notifier kind {kind!r}; upgrade daskflow in the delivering process")
    except MissingSecret:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure of a send is an attempt's outcome, never the run's
        return Outcome(False, getattr(exc, "status", None), redact(f"{type(exc).__name__}: {exc}", secrets))


class _HTTPFailure(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP {status} {reason}")
        self.status = str(status)


def _post(url: str, body: dict[str, Any], headers: Mapping[str, str], key: str, timeout: float) -> Outcome:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": _USER_AGENT, "Idempotency-Key": key, **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return Outcome(True, str(response.status))
    except urllib.error.HTTPError as exc:
        raise _HTTPFailure(exc.code, str(exc.reason)) from None


def _mail(
    smtp_url: str, password: str | None, config: Mapping[str, Any], note: Notification, timeout: float
) -> Outcome:
    parts = urllib.parse.urlsplit(smtp_url)
    host = parts.hostname or "localhost"
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    message = email.message.EmailMessage()
    message["Subject"] = note.title
    message["From"] = config.get("sender") or f"daskflow@{host}"
    message["To"] = ", ".join(config["to"])
    # The same on every retry, so a mail system (or a person) can tell a resend from a new event.
    message["Message-ID"] = f"<{note.id}@daskflow>"
    message["X-Daskflow-Notification"] = note.id
    message.set_content(note.text() + "\n")
    client: smtplib.SMTP
    if secure:
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if config.get("starttls"):
            client.starttls(context=ssl.create_default_context())
        user = urllib.parse.unquote(parts.username) if parts.username else None
        # A password may come whole with the URL from smtp_url_env (never from a stored literal).
        password = password or (urllib.parse.unquote(parts.password) if parts.password else None)
        if user and password:
            client.login(user, password)
        client.send_message(message)
    return Outcome(True, "sent")
