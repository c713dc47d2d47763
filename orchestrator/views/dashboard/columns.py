"""The compact column format of a run's task runs: what the Canvas timeline loads in one request.

A 100k-task run as JSON objects is tens of megabytes and a long parse; as
typed columns it is about 4 MB that the browser maps without parsing
(``Float64Array``/``Uint32Array`` views over one ``ArrayBuffer``). Layout,
all little-endian::

    b"DFC1"  u32 header length  header (UTF-8 JSON)  zero padding to 8 bytes
    then each column, padded to 8 bytes, where the header's "columns" says:
    [name, type, byte offset, length]

Columns: ``id`` (f64, the store row id), ``start`` and ``end`` (f64 seconds
after the header's ``t0``, NaN when unknown), ``attempt``, ``task`` (index
into the header's ``tasks``), ``worker`` (index into ``workers``; entry 0 is
None, the driver's own process) and ``state`` (index into ``states``, the
store's ``STATE_ORDER``), all
u32, and the retries: ``retry_row`` (u32 index of the task run) and
``retry_ts`` (f64, relative like ``start``). Names, keys and messages are
not here: the page asks for one task run when it needs them.
"""

from __future__ import annotations

import json
import math
import struct
import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import Any, Final

from ...history.store import STATE_ORDER, TaskColumns

__all__ = ["MAGIC", "decode", "encode"]

MAGIC: Final = b"DFC1"
_NAN: Final = math.nan


def _indexed(values: Iterable[Any], table: list[Any]) -> array[int]:
    where = {value: i for i, value in enumerate(table)}
    out = array("I")
    for value in values:
        i = where.get(value)
        if i is None:
            i = where[value] = len(table)
            table.append(value)
        out.append(i)
    return out


def _relative(values: Sequence[float | None], t0: float) -> array[float]:
    return array("d", [_NAN if v is None else v - t0 for v in values])


def encode(columns: TaskColumns, t0: float, extra: dict[str, Any] | None = None) -> bytes:
    """The binary form of ``columns``, times relative to ``t0``; ``extra`` joins the header."""
    tasks: list[str] = []
    workers: list[str | None] = [None]
    retry_index = {row_id: i for i, row_id in enumerate(columns.ids)}
    retries = [(retry_index[row_id], ts) for row_id, ts in columns.retries if row_id in retry_index]
    body: list[tuple[str, str, array[Any]]] = [
        ("id", "f64", array("d", [float(i) for i in columns.ids])),
        ("start", "f64", _relative(columns.starts, t0)),
        ("end", "f64", _relative(columns.ends, t0)),
        ("retry_ts", "f64", array("d", [ts - t0 for _, ts in retries])),
        ("attempt", "u32", array("I", [max(int(a or 1), 1) for a in columns.attempts])),
        ("task", "u32", _indexed(columns.tasks, tasks)),
        ("worker", "u32", _indexed(columns.workers, workers)),
        ("state", "u32", _indexed(columns.states, list(STATE_ORDER))),
        ("retry_row", "u32", array("I", [i for i, _ in retries])),
    ]
    header: dict[str, Any] = {
        "count": len(columns),
        "t0": t0,
        "last_id": columns.last_id,
        "tasks": tasks,
        "workers": workers,
        "states": list(STATE_ORDER),
        **(extra or {}),
    }
    # Offsets depend on the header's length, which depends on the offsets: lay out until stable.
    layout: list[list[Any]] = [[name, kind, 0, len(values)] for name, kind, values in body]
    header["columns"] = layout
    while True:
        text = json.dumps(header, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()
        offsets = []
        offset = _pad(8 + len(text))
        for _, _, values in body:
            offsets.append(offset)
            offset = _pad(offset + len(values) * values.itemsize)
        if offsets == [entry[2] for entry in layout]:
            break
        for entry, place in zip(layout, offsets):
            entry[2] = place
    chunks = [MAGIC, struct.pack("<I", len(text)), text]
    size = 8 + len(text)
    for entry, (_, _, values) in zip(layout, body):
        chunks.append(b"\0" * (entry[2] - size))
        if sys.byteorder == "big":
            values.byteswap()
        data = values.tobytes()
        chunks.append(data)
        size = entry[2] + len(data)
    return b"".join(chunks)


def _pad(offset: int) -> int:
    return (offset + 7) // 8 * 8


def decode(data: bytes) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """The header and the columns of ``encode``'s output (what the browser does; for tests and tools)."""
    if data[:4] != MAGIC:
        raise ValueError("not daskflow column data: it does not start with DFC1")
    (length,) = struct.unpack_from("<I", data, 4)
    header = json.loads(data[8 : 8 + length])
    columns: dict[str, list[Any]] = {}
    for name, kind, offset, count in header["columns"]:
        values = array("d" if kind == "f64" else "I")
        values.frombytes(data[offset : offset + count * values.itemsize])
        if sys.byteorder == "big":
            values.byteswap()
        columns[name] = values.tolist()
    return header, columns
