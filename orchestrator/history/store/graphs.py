"""Writing what a driver learns about its run beyond states: the compiled graph, and where it ran.

* **Graphs.** Each flush of a run is one row of ``task_graphs``: its nodes
  (key, task name, display name, upstream keys) msgpack-encoded and
  zlib-compressed into one blob, plus the nodes per task name as JSON. One
  row per flush, never per task, so a 100k-task flush costs one insert; keys
  repeat their task name and run id, which is what compresses well.
* **Run info.** ``set_run_info`` fills the flow run's ``scheduler``,
  ``dashboard``, ``executor``, ``external_scheduler`` and ``entrypoint``
  columns; only the fields given change.

Functions over a connection, called inside the store's write transaction.
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

import msgpack

from .errors import StoreError
from .read_models import GraphNode, RunInfo

__all__ = ["INFO_FIELDS", "decode_graph", "encode_graph", "info_row", "record_graph", "set_run_info"]

#: The run-info fields a driver may set, and the column each is stored in.
INFO_FIELDS: Final = ("scheduler", "dashboard", "executor", "external_scheduler", "entrypoint")


def encode_graph(nodes: Sequence[Sequence[Any]]) -> tuple[str, bytes]:
    """The per-task-name totals (JSON) and the compressed blob of ``(key, task, name, upstream)`` nodes."""
    totals = Counter(str(node[1]) for node in nodes)
    packed = msgpack.packb([[n[0], n[1], n[2], list(n[3])] for n in nodes], use_bin_type=True)
    return json.dumps(totals, ensure_ascii=False), zlib.compress(packed, 1)


def decode_graph(blobs: Iterable[bytes]) -> list[GraphNode]:
    """The nodes of every blob, in flush order."""
    nodes: list[GraphNode] = []
    for blob in blobs:
        for key, task, name, upstream in msgpack.unpackb(zlib.decompress(blob), raw=False):
            nodes.append(GraphNode(key, task, name, tuple(upstream)))
    return nodes


def record_graph(conn: sqlite3.Connection, run_id: str, nodes: Sequence[Sequence[Any]]) -> None:
    """Append one flush's nodes to the run's graph."""
    if not nodes:
        return
    try:
        totals, blob = encode_graph(nodes)
    except (TypeError, ValueError, IndexError) as exc:
        message = f"flow run {run_id!r}: its graph nodes must be (key, task, name, upstream keys) tuples ({exc})"
        raise StoreError(message) from exc
    conn.execute(
        "INSERT INTO task_graphs (run_id, nodes, totals, graph) VALUES (?, ?, ?, ?)",
        (run_id, len(nodes), totals, blob),
    )


def set_run_info(conn: sqlite3.Connection, run_id: str, info: Mapping[str, Any]) -> bool:
    """Set the given run-info fields of a flow run; False if there is no such run."""
    unknown = sorted(set(info) - set(INFO_FIELDS))
    if unknown:
        message = f"flow run {run_id!r}: unknown run info {', '.join(unknown)}; use {', '.join(INFO_FIELDS)}"
        raise StoreError(message)
    if not info:
        return True
    # Column names come from INFO_FIELDS, checked above, so formatting them in is safe.
    fields = [name for name in INFO_FIELDS if name in info]
    values = [_column_value(name, info[name]) for name in fields]
    assignments = ", ".join(f"{name} = ?" for name in fields)
    cursor = conn.execute(f"UPDATE flow_runs SET {assignments} WHERE run_id = ?", (*values, run_id))
    return cursor.rowcount > 0


def _column_value(name: str, value: Any) -> Any:
    if name == "external_scheduler":
        return None if value is None else int(bool(value))
    return None if value is None else str(value)


def info_row(row: Sequence[Any]) -> RunInfo:
    """A ``RunInfo`` from the INFO_FIELDS columns of a ``flow_runs`` row, in that order."""
    scheduler, dashboard, executor, external, entrypoint = row
    return RunInfo(scheduler, dashboard, executor, bool(external), entrypoint)
