"""Fixtures for the notification tests: a capture HTTP server and an aiosmtpd SMTP server, both on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.notify.capture import CaptureServer, capture_server
from tests.processes import free_port


@pytest.fixture
def hook_server() -> Iterator[CaptureServer]:
    """An HTTP endpoint answering 200 to every POST."""
    with capture_server() as server:
        yield server


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[str, _Inbox]]:
    """A real aiosmtpd SMTP server on 127.0.0.1 (a free port); yields its smtp:// URL and the inbox it fills."""
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://alerts@127.0.0.1:{controller.port}", inbox
    finally:
        controller.stop()
