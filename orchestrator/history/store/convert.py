"""Conversions between wire records and SQL: validated on the way in, typed on the way out.

Writers hand the store plain dicts that came from workers over msgpack; these
helpers check the fields the store relies on and fill in the optional ones, so
a malformed event fails with a ``StoreError`` that shows it, before any write
lock is taken. Everything here is pure and cheap: it runs once per event on the
hot path.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import pathlib
import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

from .errors import StoreError
from .records import STATES, FlowRunRow

__all__ = [
    "check_state",
    "dump_parameters",
    "flow_row",
    "iso_utc",
    "log_params",
    "task_params",
    "where_equal",
]


def check_state(state: str, what: str) -> None:
    """Raise ``StoreError`` naming ``what`` unless ``state`` is a known state name."""
    if state not in STATES:
        message = f"{what}: unknown state {state!r}; use one of {', '.join(sorted(STATES))}"
        raise StoreError(message)


def _field(record: Mapping[str, Any], name: str, kind: str) -> Any:
    try:
        return record[name]
    except KeyError:
        shown = repr(dict(record))[:200]
        message = f"{kind} {shown} has no {name!r} field; fix the code that produced it"
        raise StoreError(message) from None


def _timestamp(record: Mapping[str, Any], kind: str) -> float:
    value = _field(record, "ts", kind)
    try:
        return float(value)
    except (TypeError, ValueError):
        message = f"{kind} for run {record.get('run')!r} has ts={value!r}; ts must be epoch seconds"
        raise StoreError(message) from None


#: The order of ``task_params``' values: ``?1`` to ``?14`` in the task-run SQL statements.
TASK_PARAM_ORDER: Final = (
    "run",
    "key",
    "task",
    "name",
    "state",
    "ts",
    "start",
    "end",
    "attempt",
    "worker",
    "message",
    "error_type",
    "error_message",
    "traceback",
)


def task_params(event: Mapping[str, Any]) -> tuple[Any, ...]:
    """Turn a ``TaskEvent`` into the positional parameters of the task-run SQL statements.

    A tuple, not a dict of named parameters: binding by position costs SQLite a
    third less per row, and the recorder writes one row per task of every run.
    """
    key = _field(event, "key", "task event")
    state = _field(event, "state", "task event")
    if state not in STATES:
        check_state(state, f"task event for {key!r}")
    error = event.get("error") or _NO_ERROR
    task = event.get("task") or key
    return (
        _field(event, "run", "task event"),
        key,
        task,
        event.get("name") or task,
        state,
        _timestamp(event, "task event"),
        event.get("start"),
        event.get("end"),
        event.get("attempt") or 1,
        event.get("worker"),
        event.get("message"),
        error.get("type"),
        error.get("message"),
        error.get("traceback"),
    )


_NO_ERROR: Final[Mapping[str, Any]] = {}


def log_params(record: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a ``LogEvent`` into the named parameters of the log insert."""
    return {
        "run": _field(record, "run", "log record"),
        "key": record.get("key"),
        "name": record.get("name"),
        "level": record.get("level") or "INFO",
        "ts": _timestamp(record, "log record"),
        "message": str(_field(record, "message", "log record")),
    }


#: The ``flow_runs`` columns ``flow_row`` reads, in its order; every query of whole runs selects these.
FLOW_COLUMNS: Final = (
    "run_id, flow_name, state, parameters, started, ended, heartbeat, message, host, pid, schedule_id, tick"
)
#: The ``task_runs`` columns a ``TaskRunRow`` is built from, in its order.
TASK_COLUMNS: Final = (
    "run_id, key, task, name, state, started, ended, attempt, worker, message, error_type, error_message, traceback"
)


def flow_row(row: Sequence[Any]) -> FlowRunRow:
    """Build a ``FlowRunRow`` from a ``flow_runs`` row, decoding the parameters' JSON."""
    (
        run_id,
        flow_name,
        state,
        parameters,
        started,
        ended,
        heartbeat,
        message,
        host,
        pid,
        schedule_id,
        tick,
    ) = row
    return FlowRunRow(
        run_id=run_id,
        flow_name=flow_name,
        state=state,
        parameters=json.loads(parameters),
        started=started,
        ended=ended,
        heartbeat=heartbeat,
        message=message,
        host=host,
        pid=pid,
        schedule_id=schedule_id,
        tick=tick,
    )


def dump_parameters(parameters: Mapping[str, Any], run_id: str) -> str:
    """Encode a flow run's parameters as JSON text, readably even for types JSON lacks."""
    try:
        return json.dumps(dict(parameters), default=_json_fallback, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        message = f"flow run {run_id!r}: its parameters cannot be stored as JSON ({exc})"
        raise StoreError(message) from exc


def _json_fallback(value: object) -> object:
    """Make parameters that JSON lacks a type for readable rather than rejected.

    The stored parameters are a record for people and the dashboard; the flow
    itself already received the real objects.
    """
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, pathlib.PurePath):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return list(value)
    dump = getattr(value, "model_dump", None)  # pydantic models, without importing pydantic
    if callable(dump):
        return dump(mode="json")
    return repr(value)


def iso_utc(ts: float) -> str:
    """Format epoch seconds as an ISO 8601 UTC time, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))


def where_equal(filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """A ``WHERE`` clause requiring each column to equal its value (None: no filter), and its parameters.

    The column names come from the caller's code, never from input.
    """
    given = {column: value for column, value in filters.items() if value is not None}
    where = f"WHERE {' AND '.join(f'{column} = ?' for column in given)}" if given else ""
    return where, list(given.values())
