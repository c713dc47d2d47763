"""The notifiers of ``@flow(notify=[...])``: Slack, Webhook, Email and Hook.

Each is configuration only; ``config()`` is what is stored with every run of
the flow, so whichever process delivers can send it. Secrets given as
environment variable names (``url_env=``, ``password_env=``,
``header_env=``) are stored as those names and read when sending
(orchestrator.notify.secrets). A literal ``Slack`` or ``Webhook`` URL is
stored as given (it is needed to deliver after a crash) and shown only as
scheme, host and port; an SMTP password inside a literal URL is refused.

``Hook(fn)`` calls ``fn(notification)`` in the process that delivers, which
may not be the one that ran the flow (a process that reaped a killed
driver, or ``daskflow serve``): ``fn`` is stored cloudpickled with the run,
by reference if its module is importable, by value for notebook and script
functions. Like every notifier it is called at least once: a process killed
between calling it and recording the success calls it again.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import cloudpickle

from ..records.errors import FlowDefinitionError
from ..records.notify import Notifier
from .secrets import redacted_url

__all__ = ["Email", "Hook", "Slack", "Webhook"]


def _url_source(
    who: str, url: str | None, url_env: str | None, schemes: Sequence[str], key: str = "url"
) -> dict[str, Any]:
    """``{key: url}`` or ``{key + "_env": variable}``, checked; exactly one of the two must be given."""
    if (url is None) == (url_env is None):
        message = f"{who}: pass the URL, or {key}_env='VARIABLE' naming an environment variable holding it"
        raise FlowDefinitionError(message)
    if url_env is not None:
        if not isinstance(url_env, str) or not url_env:
            raise FlowDefinitionError(f"{who}: {key}_env names an environment variable, got {url_env!r}")
        return {f"{key}_env": url_env}
    assert url is not None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in schemes or not parts.hostname:
        raise FlowDefinitionError(
            f"{who}: expected a {' or '.join(schemes)} URL with a host, got {redacted_url(url)!r}"
        )
    return {key: url}


def _env_target(config: Mapping[str, Any], key: str) -> str:
    return f"${config[key + '_env']}" if key + "_env" in config else redacted_url(config[key])


class Slack(Notifier):
    """Post a message to a Slack incoming webhook: ``Slack(url)`` or ``Slack(url_env="SLACK_WEBHOOK")``."""

    kind = "slack"

    def __init__(self, webhook_url: str | None = None, *, url_env: str | None = None, **delivery: Any) -> None:
        super().__init__(**delivery)
        self._config = _url_source("Slack", webhook_url, url_env, ("https", "http"))

    def config(self) -> dict[str, Any]:
        return dict(self._config)

    def target(self) -> str:
        return f"slack {_env_target(self._config, 'url')}"


class Webhook(Notifier):
    """POST the notification as JSON, with an ``Idempotency-Key`` header that is the same on every retry.

    ``headers`` are sent as given (and stored); ``header_env`` maps header
    names to environment variables holding their values (``{"Authorization":
    "HOOK_TOKEN"}``), read when sending.
    """

    kind = "webhook"

    def __init__(
        self,
        url: str | None = None,
        *,
        url_env: str | None = None,
        headers: Mapping[str, str] | None = None,
        header_env: Mapping[str, str] | None = None,
        **delivery: Any,
    ) -> None:
        super().__init__(**delivery)
        config = _url_source("Webhook", url, url_env, ("https", "http"))
        for name, mapping in (("headers", headers), ("header_env", header_env)):
            if mapping is None:
                continue
            if not isinstance(mapping, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
            ):
                raise FlowDefinitionError(f"Webhook: {name} maps header names to strings, got {mapping!r}")
            config[name] = dict(mapping)
        self._config = config

    def config(self) -> dict[str, Any]:
        return dict(self._config)

    def target(self) -> str:
        return f"webhook {_env_target(self._config, 'url')}"


class Email(Notifier):
    """Send a plain-text email: ``Email("smtp://user@host:587", to=[...], password_env="SMTP_PASSWORD")``.

    ``smtp://`` talks plain SMTP (``starttls=True`` upgrades it), ``smtps://``
    uses TLS from the start. The password comes from ``password_env`` (or the
    whole URL from ``smtp_url_env``); a literal password in the URL is refused,
    so it never reaches the run store.
    """

    kind = "email"

    def __init__(
        self,
        smtp_url: str | None = None,
        *,
        to: Sequence[str],
        sender: str | None = None,
        smtp_url_env: str | None = None,
        password_env: str | None = None,
        starttls: bool = False,
        **delivery: Any,
    ) -> None:
        super().__init__(**delivery)
        config = _url_source("Email", smtp_url, smtp_url_env, ("smtp", "smtps"), key="smtp_url")
        if smtp_url is not None and urllib.parse.urlsplit(smtp_url).password:
            message = (
                "Email: the SMTP URL holds a password, which would be stored with every run; "
                "put it in an environment variable and pass password_env='VARIABLE'"
            )
            raise FlowDefinitionError(message)
        recipients = [to] if isinstance(to, str) else list(to)
        if not recipients or not all(isinstance(r, str) and "@" in r for r in recipients):
            raise FlowDefinitionError(f"Email: to= lists email addresses, got {to!r}")
        config.update({"to": recipients, "sender": sender, "starttls": bool(starttls)})
        if password_env is not None:
            config["password_env"] = password_env
        self._config = config

    def config(self) -> dict[str, Any]:
        return dict(self._config)

    def target(self) -> str:
        return f"email to {', '.join(self._config['to'])} via {_env_target(self._config, 'smtp_url')}"


class Hook(Notifier):
    """Call ``fn(notification)`` (an ``orchestrator.notify.Notification``) in the delivering process.

    See the module docstring: ``fn`` is stored pickled with each run and called
    at least once; read secrets inside it from ``os.environ``, never capture
    them, since what ``fn`` closes over is stored too. An exception it raises
    is a failed attempt, retried like a failed send.
    """

    kind = "hook"

    def __init__(self, fn: Callable[[Any], object], **delivery: Any) -> None:
        super().__init__(**delivery)
        if not callable(fn):
            raise FlowDefinitionError(f"Hook takes a function notification -> None, got {type(fn).__name__}")
        name = f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', type(fn).__name__)}"
        try:
            self._payload: bytes = cloudpickle.dumps(fn)
        except Exception as exc:
            message = (
                f"Hook({name}): the function cannot be pickled ({type(exc).__name__}: {exc}), so no other "
                "process could call it; define it at module level and open resources inside it"
            )
            raise FlowDefinitionError(message) from exc
        self._config = {"name": name}
        self.fn = fn

    def config(self) -> dict[str, Any]:
        return dict(self._config)

    def target(self) -> str:
        return f"hook {self._config['name']}"

    def payload(self) -> bytes:
        return self._payload
