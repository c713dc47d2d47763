"""Notifications through the durable outbox: retries recorded, failures visible, secrets kept out, runs unchanged.

Each flow here runs for real (a LocalExecutor) and records to a real store;
the driver's background deliverer sends to real servers on 127.0.0.1 (a
capture HTTP server, an aiosmtpd SMTP server). Backoff waits run on a
``FakeClock``, so retries take no real time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from executors import LocalExecutor
from orchestrator import Email, FlowDefinitionError, Hook, Notification, Slack, Webhook, flow, task
from orchestrator.history.recorder import open_history_store
from orchestrator.notify import Deliverer, wait_for_deliveries
from orchestrator.notify.background import delivery_clock
from orchestrator.records.clock import FakeClock
from tests.notify.capture import CaptureServer, capture_server
from tests.processes import free_port

BACKSTOP = 60.0


@task
def boom() -> int:
    raise ValueError("the source table is gone")


@task
def fine() -> int:
    return 7


def _failing(*notifiers: Any, **options: Any) -> Any:
    @flow(name="nightly", executor=LocalExecutor(), notify=list(notifiers), **options)
    def nightly() -> int:
        return boom()

    return nightly


@pytest.fixture
def clock() -> Iterator[FakeClock]:
    """Background deliveries sleep on this clock: backoff waits advance it instead of taking time.

    It starts at the real time, which the runs' (and so the notifications') timestamps come from.
    """
    fake = FakeClock(time.time())
    with delivery_clock(fake):
        yield fake


def _delivered(home: Path) -> None:
    assert wait_for_deliveries(BACKSTOP)


def test_an_endpoint_answering_500_500_200_gets_one_delivery_after_three_attempts(home: Path, clock: FakeClock) -> None:
    """Two failed attempts are logged and retried after 1 s then 2 s; the third delivers; the run stays Failed."""
    with capture_server([500, 500, 200]) as server:
        run = _failing(Webhook(server.url)).run()
        _delivered(home)
    assert run.state.value == "Failed"
    assert [r.body["state"] for r in server.requests] == ["Failed"] * 3
    keys = {r.headers["Idempotency-Key"] for r in server.requests}
    assert len(keys) == 1
    store = open_history_store()
    (notification,) = store.outbox.recent(run_id=run.id)
    assert (notification.status, notification.attempts, notification.notification_id) == ("delivered", 3, keys.pop())
    attempts = store.outbox.attempts(notification.notification_id)
    assert [(a.attempt, a.ok, a.status) for a in attempts] == [(1, False, "500"), (2, False, "500"), (3, True, "200")]
    assert attempts[0].error == "_HTTPFailure: HTTP 500 Internal Server Error"
    assert clock.sleeps == [1.0, 2.0]
    assert store.get_flow_run(run.id).state == "Failed"  # type: ignore[union-attr]


def test_an_unreachable_endpoint_leaves_a_failed_delivery_and_a_completed_run(
    home: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing listens: every attempt fails and is recorded, the delivery ends 'failed', and the run is Completed."""
    url = f"http://127.0.0.1:{free_port()}/hook"

    @flow(executor=LocalExecutor(), notify=[Webhook(url, retries=2)], notify_on=["Completed"])
    def daily() -> int:
        return fine()

    with caplog.at_level(logging.WARNING, logger="daskflow.notify"):
        assert daily() == 7
        _delivered(home)
    store = open_history_store()
    (run,) = store.list_flow_runs(flow="daily")
    assert run.state == "Completed"
    (notification,) = store.outbox.recent(run_id=run.run_id)
    assert (notification.state, notification.status, notification.attempts) == ("Completed", "failed", 3)
    attempts = store.outbox.attempts(notification.notification_id)
    assert [a.ok for a in attempts] == [False, False, False]
    assert all("Connection refused" in (a.error or "") for a in attempts)
    assert "failed after 3 attempt(s)" in caplog.text


def test_secrets_from_the_environment_never_reach_the_store_or_the_logs(
    home: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Slack(url_env=...) stores the variable's name; its URL is in no table, no error, no log line."""
    with capture_server([500, 200]) as server:
        monkeypatch.setenv("TEAM_SLACK_HOOK", server.url)
        with caplog.at_level(logging.DEBUG):
            run = _failing(Slack(url_env="TEAM_SLACK_HOOK")).run()
            _delivered(home)
    assert [r.body["text"].splitlines()[0] for r in server.requests] == [
        f"daskflow: flow run {run.id} of 'nightly' ended Failed: 1 task run(s) failed: boom"
    ] * 2
    store = open_history_store()
    (notification,) = store.outbox.recent(run_id=run.id)
    assert (notification.status, notification.target) == ("delivered", "slack $TEAM_SLACK_HOOK")
    stored = b"".join(path.read_bytes() for path in home.glob("daskflow.db*"))
    assert b"secret-token-123" not in stored and str(server.port).encode() not in stored
    assert b"TEAM_SLACK_HOOK" in stored
    assert "secret-token-123" not in caplog.text


def test_a_missing_secret_waits_for_a_process_that_has_it(
    home: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, hook_server: CaptureServer
) -> None:
    """Without the variable the notification is deferred, using no attempt; a process with it delivers it."""
    monkeypatch.delenv("LATER_HOOK", raising=False)
    run = _failing(Webhook(url_env="LATER_HOOK")).run()
    _delivered(home)
    store = open_history_store()
    (waiting,) = store.outbox.recent(run_id=run.id)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    assert waiting.last_error is not None and "LATER_HOOK" in waiting.last_error
    assert hook_server.requests == []
    Deliverer(store, env={"LATER_HOOK": hook_server.url}).deliver_due(due_only=False)
    (sent,) = store.outbox.recent(run_id=run.id)
    assert (sent.status, sent.attempts) == ("delivered", 1)
    assert len(hook_server.requests) == 1


def test_email_goes_through_a_real_smtp_server(home: Path, clock: FakeClock, smtp_inbox: tuple[str, Any]) -> None:
    """Email(smtp_url, to=[...]) sends one message naming the run and its state, with a stable Message-ID."""
    url, inbox = smtp_inbox
    run = _failing(Email(url, to=["oncall@example.com"])).run()
    _delivered(home)
    (message,) = inbox.messages
    assert message["To"] == "oncall@example.com"
    assert message["Subject"] == f"daskflow: flow run {run.id} of 'nightly' ended Failed"
    (notification,) = open_history_store().outbox.recent(run_id=run.id)
    assert message["Message-ID"] == f"<{notification.notification_id}@daskflow>"
    assert "boom" in message.get_content()


CALLS: list[Notification] = []


def _flaky(notification: Notification) -> None:
    CALLS.append(notification)
    if len(CALLS) == 1:
        raise RuntimeError("the pager is down")


def test_a_hook_gets_the_notification_and_a_failing_one_is_retried(home: Path, clock: FakeClock) -> None:
    """Hook(fn) calls fn(notification); fn raising is a failed attempt, retried; the run's outcome is unchanged."""
    CALLS.clear()
    run = _failing(Hook(_flaky)).run()
    _delivered(home)
    assert [(c.run_id, c.state, c.flow) for c in CALLS] == [(run.id, "Failed", "nightly")] * 2
    (notification,) = open_history_store().outbox.recent(run_id=run.id)
    assert (notification.status, notification.attempts) == ("delivered", 2)
    first = open_history_store().outbox.attempts(notification.notification_id)[0]
    assert first.error == "RuntimeError: the pager is down"
    assert run.state.value == "Failed"


def test_identical_notifiers_give_one_notification_and_a_completed_run_none_by_default(
    home: Path, clock: FakeClock, hook_server: CaptureServer
) -> None:
    """Two equal Webhooks make one rule; a Completed run notifies nobody unless notify_on asks for Completed."""
    run = _failing(Webhook(hook_server.url), Webhook(hook_server.url)).run()

    @flow(executor=LocalExecutor(), notify=[Webhook(hook_server.url)])
    def quiet() -> int:
        return fine()

    quiet()
    _delivered(home)
    assert [(r.body["run_id"], r.body["state"]) for r in hook_server.requests] == [(run.id, "Failed")]


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: Email("smtp://me:hunter2@127.0.0.1:25", to=["a@b.c"]), "password_env"),
        (lambda: Slack("https://hooks.example.com/x", url_env="X"), "url_env"),
        (lambda: Webhook("ftp://127.0.0.1/x"), "http"),
        (lambda: Email("smtp://127.0.0.1", to=["nobody"]), "email addresses"),
        (lambda: Hook(42), "function"),  # type: ignore[arg-type]
        (lambda: flow(notify=[print])(lambda: 1), "notify takes notifiers"),
        (lambda: flow(notify_on=["Late"])(lambda: 1), "late_after"),
        (lambda: flow(late_after=0)(lambda: 1), "late_after"),
    ],
)
def test_bad_notifier_settings_fail_when_the_flow_is_defined(make: Any, needle: str) -> None:
    """Notifier and notify_on mistakes raise FlowDefinitionError saying what to pass instead."""
    with pytest.raises(FlowDefinitionError, match=needle):
        make()
