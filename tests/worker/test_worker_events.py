"""What tasks send besides their final state: batched log events and delayed Running events."""

from __future__ import annotations

from typing import Any

from executors.events import Sink
from orchestrator.worker.run_logs import BATCH_RECORDS, TaskLogs
from orchestrator.worker.watchdog import RunningWatch

#: Far in the future: the watchdog's own thread, on the real clock, never finds these calls due.
T0 = 4_000_000_000.0


def _collecting_sink() -> tuple[Sink, list[Any]]:
    sent: list[Any] = []
    return Sink(sent.append, "tcp://127.0.0.1:4000"), sent


def test_the_first_log_record_goes_at_once_and_later_ones_are_batched() -> None:
    """One event for the first record, then records wait for the batch window or the end of the call."""
    sink, sent = _collecting_sink()
    logs = TaskLogs("run-1", "t-run-1-0", "t[0]", sink)
    logs.add("INFO", T0, "first")
    logs.add("INFO", T0 + 0.1, "second")
    logs.add("WARNING", T0 + 0.2, "third")
    assert [[r["message"] for r in event["records"]] for event in sent] == [["first"]]
    logs.flush()
    assert [[r["message"] for r in event["records"]] for event in sent] == [["first"], ["second", "third"]]
    assert sent[1] == {
        "run": "run-1",
        "kind": "logs",
        "records": [
            {"run": "run-1", "key": "t-run-1-0", "name": "t[0]", "level": "INFO", "ts": T0 + 0.1, "message": "second"},
            {
                "run": "run-1",
                "key": "t-run-1-0",
                "name": "t[0]",
                "level": "WARNING",
                "ts": T0 + 0.2,
                "message": "third",
            },
        ],
    }


def test_the_first_log_record_goes_at_once_whatever_the_clock_reads() -> None:
    """A first record goes at once even on a clock whose origin is near zero (no start time is assumed)."""
    sink, sent = _collecting_sink()
    logs = TaskLogs("run-1", "k", "t", sink)
    logs.add("INFO", 0.1, "first")
    assert [[r["message"] for r in event["records"]] for event in sent] == [["first"]]


def test_a_full_batch_or_an_old_one_is_sent_without_waiting_for_the_end() -> None:
    """A batch goes once it holds BATCH_RECORDS records, or when a record comes half a second after the last batch."""
    sink, sent = _collecting_sink()
    logs = TaskLogs("run-1", "k", "t", sink)
    logs.add("INFO", T0, "first")
    for i in range(BATCH_RECORDS):
        logs.add("INFO", T0 + 0.001, f"line {i}")
    assert [len(event["records"]) for event in sent] == [1, BATCH_RECORDS]
    logs.add("INFO", T0 + 0.1, "soon after")
    logs.add("INFO", T0 + 0.7, "later")
    assert [len(event["records"]) for event in sent] == [1, BATCH_RECORDS, 2]


def test_a_call_still_running_after_the_delay_reports_running_once() -> None:
    """poll() emits one Running event, with the call's start and worker, only once the delay has passed."""
    sink, sent = _collecting_sink()
    watch = RunningWatch(delay=0.5)
    watch.begin("slow-r-0", "slow", "slow[0]", "r", sink, attempt=2, start=T0)
    assert watch.poll(T0 + 0.4) is not None
    assert sent == []
    assert watch.poll(T0 + 0.6) is None
    assert watch.poll(T0 + 5.0) is None
    assert sent == [
        {
            "run": "r",
            "key": "slow-r-0",
            "task": "slow",
            "name": "slow[0]",
            "state": "Running",
            "ts": T0 + 0.6,
            "start": T0,
            "end": None,
            "attempt": 2,
            "worker": "tcp://127.0.0.1:4000",
            "message": None,
            "error": None,
        }
    ]


def test_a_call_that_ends_before_the_delay_sends_nothing() -> None:
    """Short calls cost no event: end() before the delay means no Running event ever."""
    sink, sent = _collecting_sink()
    watch = RunningWatch(delay=0.5)
    watch.begin("quick-r-0", "quick", "quick", "r", sink, start=T0)
    watch.end("quick-r-0")
    assert watch.poll(T0 + 10) is None
    assert sent == []
