"""Persisted task results: atomic, key-addressed files with checksums, under a storage root.

The worker that computed a result writes it; any worker, later, reads it
back. A root is a ``file://`` URL or any fsspec URL (``s3://``, ``gcs://``,
``memory://``...); fsspec comes with Dask. A result lives at
``<root>/<key[:2]>/<key>.result``, so its path follows from its cache key
alone and no index is needed to find it.

A file is a header line and a JSON header, then the cloudpickled value::

    DASKFLOW-RESULT 1\\n <4-byte big-endian header length> {"key", "task", "run", "created",
    "expires", "size", "checksum"} <payload>

* **Writes are atomic.** The file is written under a temporary name beside
  its final one and then moved there: a reader sees the whole file or none,
  even when two workers write the same key at once (the same value, by
  construction of the key).
* **Reads verify.** The key, the expiry and the sha256 of the payload are
  checked; a missing, truncated, corrupt or expired file is a miss with a
  reason (``read_result``), never an exception.
* **Probing.** ``probe_root`` checks that a worker sees the driver's storage:
  it must find the token file the driver wrote there, and be able to write.
  A ``file://`` path that exists on the driver's machine only fails there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pickle
import struct
import uuid
from collections.abc import Iterator, Mapping
from typing import Any, Final

import cloudpickle

__all__ = [
    "MAGIC",
    "ResultRecord",
    "delete_result",
    "location_for",
    "probe_root",
    "read_header",
    "read_result",
    "scan_results",
    "write_probe",
    "write_result",
]

MAGIC: Final = b"DASKFLOW-RESULT 1\n"
_LENGTH = struct.Struct(">I")
_SUFFIX: Final = ".result"
_PROBES: Final = ".daskflow-probes"

#: What the store records of a persisted result: key, task, run, location, checksum, size, created, expires.
ResultRecord = dict[str, Any]


def _fs(url: str) -> tuple[Any, str]:
    """The fsspec filesystem for ``url`` and the path within it (fsspec caches the filesystems)."""
    import fsspec.core

    fs, path = fsspec.core.url_to_fs(url)
    return fs, str(path)


def location_for(root: str, key: str) -> str:
    """The URL of the result with cache key ``key`` under ``root``."""
    return f"{root.rstrip('/')}/{key[:2]}/{key}{_SUFFIX}"


def write_result(
    root: str, key: str, value: Any, task: str, run_id: str, created: float, expires: float | None
) -> ResultRecord:
    """Persist ``value`` under ``key`` atomically; the record the store keeps of it. Raises ``OSError`` and
    pickling errors."""
    payload = cloudpickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    header: ResultRecord = {
        "key": key,
        "task": task,
        "run": run_id,
        "created": created,
        "expires": expires,
        "size": len(payload),
        "checksum": hashlib.sha256(payload).hexdigest(),
    }
    location = location_for(root, key)
    _write_atomically(location, _frame(header) + payload)
    return {**header, "location": location}


def _frame(header: Mapping[str, Any]) -> bytes:
    text = json.dumps(header, sort_keys=True).encode()
    return MAGIC + _LENGTH.pack(len(text)) + text


def _write_atomically(location: str, data: bytes) -> None:
    fs, path = _fs(location)
    parent = path.rsplit("/", 1)[0]
    fs.makedirs(parent, exist_ok=True)
    temporary = f"{path}.tmp-{uuid.uuid4().hex}"
    try:
        with fs.open(temporary, "wb") as out:
            out.write(data)
        fs.mv(temporary, path)
    except BaseException:
        with contextlib.suppress(Exception):
            fs.rm(temporary)
        raise


def read_result(location: str, key: str, now: float) -> tuple[bool, Any, ResultRecord | None, str]:
    """``(found, value, header, why_not)``: the verified value at ``location``, or why it is a miss."""
    try:
        fs, path = _fs(location)
        data = fs.cat_file(path)
    except FileNotFoundError:
        return False, None, None, ""
    except Exception as exc:  # noqa: BLE001 - unreadable storage is a miss, never a crash
        return False, None, None, f"cannot read it ({type(exc).__name__}: {exc})"
    header, payload, problem = _parse(data)
    if header is None:
        return False, None, None, problem
    if header.get("key") != key:
        return False, None, header, f"it holds key {header.get('key')!r}, not {key!r}"
    expires = header.get("expires")
    if expires is not None and expires <= now:
        return False, None, header, "it expired"
    if hashlib.sha256(payload).hexdigest() != header.get("checksum"):
        return False, None, header, "its checksum does not match (the file is corrupt)"
    try:
        value = pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001 - a payload that does not load here is a miss
        return False, None, header, f"it cannot be unpickled here ({type(exc).__name__}: {exc})"
    return True, value, {**header, "location": location}, ""


def _parse(data: bytes) -> tuple[dict[str, Any] | None, bytes, str]:
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + _LENGTH.size:
        return None, b"", "it is not a daskflow result file (the file is corrupt)"
    start = len(MAGIC) + _LENGTH.size
    (length,) = _LENGTH.unpack_from(data, len(MAGIC))
    try:
        header = json.loads(data[start : start + length])
    except ValueError:
        return None, b"", "its header is unreadable (the file is corrupt)"
    if not isinstance(header, dict):
        return None, b"", "its header is unreadable (the file is corrupt)"
    return header, data[start + length :], ""


def read_header(location: str) -> ResultRecord | None:
    """The header of the result file at ``location`` (without reading its payload), or None."""
    try:
        fs, path = _fs(location)
        with fs.open(path, "rb") as stream:
            head = stream.read(len(MAGIC) + _LENGTH.size)
            if not head.startswith(MAGIC) or len(head) < len(MAGIC) + _LENGTH.size:
                return None
            (length,) = _LENGTH.unpack_from(head, len(MAGIC))
            header = json.loads(stream.read(length))
    except (OSError, ValueError):
        return None
    return {**header, "location": location} if isinstance(header, dict) else None


def scan_results(root: str) -> Iterator[str]:
    """The location of every result file under ``root``, spelt as ``location_for`` spells it."""
    try:
        fs, base = _fs(root)
        found = fs.find(base)
    except (OSError, ValueError):
        return
    base = base.rstrip("/")
    for item in map(str, found):
        if item.endswith(_SUFFIX) and item.startswith(base + "/"):
            yield f"{root.rstrip('/')}/{item[len(base) + 1 :]}"


def delete_result(location: str) -> bool:
    """Remove one result file; False if it was not there (or could not be removed)."""
    try:
        fs, path = _fs(location)
        fs.rm_file(path)
    except (OSError, ValueError):
        return False
    return True


# -- probing ------------------------------------------------------------------------


def write_probe(root: str, name: str, token: str) -> str:
    """Write the driver's token file for a probe named ``name``; its location (remove it when done)."""
    location = f"{root.rstrip('/')}/{_PROBES}/{name}"
    _write_atomically(location, token.encode())
    return location


def probe_root(root: str, name: str, token: str) -> str | None:
    """On a worker: None if it sees the driver's probe file and can write under ``root``, else why not."""
    location = f"{root.rstrip('/')}/{_PROBES}/{name}"
    try:
        fs, path = _fs(location)
        seen = fs.cat_file(path).decode()
    except FileNotFoundError:
        return f"it does not see the file {location} the driver wrote there (the storage is not shared)"
    except Exception as exc:  # noqa: BLE001 - any failure is the answer
        return f"it cannot read {location} ({type(exc).__name__}: {exc})"
    if seen != token:
        return f"the file {location} it sees is not the one the driver wrote (the storage is not shared)"
    mine = f"{location}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        _write_atomically(mine, b"ok")
        delete_result(mine)
    except Exception as exc:  # noqa: BLE001
        return f"it cannot write under {root} ({type(exc).__name__}: {exc})"
    return None
