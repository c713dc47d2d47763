"""Run logs on the driver's console: INFO and up by default, from every worker, batched, each record once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from executors import Executor
from orchestrator import flow, get_run_logger, task
from orchestrator.views.console import ConsoleLogs, format_record

LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \| (?P<level>[A-Z]+) +\| (?P<who>(Task|Flow) run '[^']+') - (?P<msg>.*)$")


@task(log_prints=True)
def chatty(i: int) -> int:
    logger = get_run_logger()
    logger.debug("debug %d", i)
    logger.info("info %d", i)
    logger.warning("warning %d", i)
    print(f"printed {i}")
    return i


def _lines(text: str) -> list[dict[str, str]]:
    return [m.groupdict() for line in text.splitlines() if (m := LINE.match(line))]


def test_a_record_formats_with_time_level_run_name_and_message() -> None:
    """Task records name their task run, flow records the flow run, like Prefect's console."""
    record = {"ts": 0.25, "level": "INFO", "name": "load[3]", "message": "wrote 10 rows"}
    assert LINE.match(format_record(record, "etl-abc")).groupdict() == {  # type: ignore[union-attr]
        "level": "INFO", "who": "Task run 'load[3]'", "msg": "wrote 10 rows",
    }  # fmt: skip
    assert "Flow run 'etl-abc' - started" in format_record({"ts": 0.0, "message": "started"}, "etl-abc")


def test_records_are_written_in_one_batch_per_interval(capsys: pytest.CaptureFixture[str]) -> None:
    """Everything that piled up is written at once, in arrival order, and only once."""
    console = ConsoleLogs("f-1")
    records = [{"ts": 1.0, "level": "INFO", "name": "t", "message": f"m{i}"} for i in range(3)]
    console.on_event({"kind": "logs", "records": records[:2]})
    console.on_event({"run": "f-1", "key": "k", "state": "Completed", "ts": 1.0})  # a state: not a log
    console.on_event({"kind": "logs", "records": records[2:]})
    console.write_pending()
    console.write_pending()
    assert [line["msg"] for line in _lines(capsys.readouterr().err)] == ["m0", "m1", "m2"]


def test_run_logs_reach_the_driver_console_from_every_executor(
    executor: Executor, capsys: pytest.CaptureFixture[str]
) -> None:
    """INFO and WARNING records of tasks (on Dask, from worker processes) show once each; DEBUG does not."""

    @flow(executor=executor)
    def noisy() -> list[int]:
        get_run_logger().info("flow says hi")
        return [chatty(i) for i in range(3)]

    assert noisy() == [0, 1, 2]
    lines = _lines(capsys.readouterr().err)
    messages = sorted(line["msg"] for line in lines)
    expected = [f"{kind} {i}" for kind in ("info", "printed", "warning") for i in range(3)] + ["flow says hi"]
    assert messages == sorted(expected)
    assert {line["level"] for line in lines if line["msg"].startswith("warning")} == {"WARNING"}
    assert all(line["who"] == "Task run 'chatty'" for line in lines if line["msg"] != "flow says hi")


def test_the_level_comes_from_the_environment_or_the_flow(
    executor: Executor, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DASKFLOW_LOGGING_LEVEL=DEBUG shows DEBUG records; @flow(log_level="WARNING") keeps only warnings."""
    monkeypatch.setenv("DASKFLOW_LOGGING_LEVEL", "DEBUG")

    @flow(executor=executor)
    def verbose() -> int:
        return chatty(1)

    verbose()
    assert "debug 1" in [line["msg"] for line in _lines(capsys.readouterr().err)]

    quiet = verbose.with_options(log_level="WARNING")
    quiet()
    assert [line["msg"] for line in _lines(capsys.readouterr().err)] == ["warning 1"]


def test_console_off_prints_nothing_but_printed_text_still_shows_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DASKFLOW_LOGGING_CONSOLE=0: no log lines; with log_prints the print still appears once, where it ran."""
    from executors import LocalExecutor

    monkeypatch.setenv("DASKFLOW_LOGGING_CONSOLE", "0")

    @flow(executor=LocalExecutor())
    def silent() -> int:
        return chatty(7)

    assert silent() == 7
    captured = capsys.readouterr()
    assert _lines(captured.err) == []
    assert captured.out.splitlines() == ["printed 7"]


def test_console_on_shows_printed_text_once_and_not_as_a_plain_print(capsys: pytest.CaptureFixture[str]) -> None:
    """With the console on, a log_prints print appears once: as its log line, not also on stdout."""
    from executors import LocalExecutor

    @flow(executor=LocalExecutor())
    def printing() -> Any:
        return chatty(2)

    printing()
    captured = capsys.readouterr()
    assert captured.out == ""
    assert [line["msg"] for line in _lines(captured.err)].count("printed 2") == 1
