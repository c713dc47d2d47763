"""A child process that writes a driver's task events, logs and heartbeats to a store file.

Writing to SQLite costs about 10 us of CPU per task event, most of it with
the GIL held (binding parameters; the GIL is released only inside each row's
step). In the driver that time is taken from whatever else needs the GIL:
the in-process Dask scheduler, or a synchronous ``LocalExecutor`` running
tasks. So the recorder hands each batch to a child process instead, pickled
(under 1 us per event) down a pipe, and the child does the SQL on another
core.

* **Protocol.** The child reads frames from stdin: a 4-byte big-endian
  length, then a pickled message: ``("events", [event, ...])``,
  ``("logs", [record, ...])``, ``("heartbeat", run_id, ts)`` or
  ``("sync", n)``. It applies them in order and, for ``sync``, writes the
  line ``n`` to stdout once everything before it is committed.
* **Lifetime.** ``writer_for(path)`` shares one child per store file among
  the runs of a process. When the last run using it lets go, the child is
  closed after ``IDLE_CLOSE`` seconds unless another run takes it first. At
  end of input (the driver closed it, exited, or was killed) the child
  writes what it has read and exits, so a killed driver's last events still
  land.
* **Failure.** A child that cannot start or dies makes ``send`` return
  False; the recorder then writes that batch itself (orchestrator.recorder).
  Write errors in the child are reported on its stderr, which is the
  driver's.

The child is ``main(PATH)``, started with ``python -c`` (``-m`` would import
this module twice, since the package already imports it).
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import IO, Any, Final

__all__ = ["IDLE_CLOSE", "StoreWriter", "main", "release_writer", "writer_for"]

#: Seconds an unused child lingers, so back-to-back runs (tests, a notebook) reuse it.
IDLE_CLOSE: Final = 10.0
#: Backstop for a child to start, commit everything sent and acknowledge.
SYNC_TIMEOUT: Final = 120.0
_HEADER = struct.Struct(">I")


class StoreWriter:
    """The driver's end of one writer child; see the module docstring. Thread-safe."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._syncs = 0
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-c", "import sys; from orchestrator.store.writer import main; sys.exit(main())", path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
        )

    @property
    def alive(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    def send(self, message: tuple[Any, ...]) -> bool:
        """Queue one message for the child; False if the child is gone (the caller writes it itself)."""
        frame = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            process = self._process
            if process is None or process.stdin is None:
                return False
            try:
                process.stdin.write(_HEADER.pack(len(frame)) + frame)
                process.stdin.flush()
            except (OSError, ValueError):
                return False
            return True

    def sync(self, timeout: float = SYNC_TIMEOUT) -> bool:
        """Wait until the child committed everything sent so far; False if it died or timed out."""
        with self._lock:
            self._syncs += 1
            token = self._syncs
        if not self.send(("sync", token)):
            return False
        process = self._process
        assert process is not None and process.stdout is not None
        return _read_ack(process.stdout, token, timeout)

    def close(self, timeout: float = SYNC_TIMEOUT) -> None:
        """Let the child write what it has and exit."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        finally:
            if process.stdout is not None:
                process.stdout.close()


def _read_ack(stdout: IO[bytes], token: int, timeout: float) -> bool:
    fd = stdout.fileno()
    expected = f"{token}\n".encode()
    received = b""
    while not received.endswith(expected):
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(fd, 4096)
        if not chunk:
            return False
        received = received[-64:] + chunk
    return True


# -- sharing one child per store file among a process's runs --------------------------

_WRITERS: dict[str, StoreWriter] = {}
_USERS: dict[str, int] = {}
_TIMERS: dict[str, threading.Timer] = {}
_REGISTRY_LOCK = threading.Lock()


def writer_for(path: str) -> StoreWriter | None:
    """The shared child for ``path``, started if needed; None if it cannot start."""
    with _REGISTRY_LOCK:
        timer = _TIMERS.pop(path, None)
        if timer is not None:
            timer.cancel()
        writer = _WRITERS.get(path)
        if writer is None or not writer.alive:
            try:
                writer = _WRITERS[path] = StoreWriter(path)
            except OSError:
                return None
        _USERS[path] = _USERS.get(path, 0) + 1
        return writer


def release_writer(path: str) -> None:
    """One run is done with ``path``'s child; close it once nobody has used it for ``IDLE_CLOSE``."""
    with _REGISTRY_LOCK:
        users = _USERS.get(path, 0) - 1
        _USERS[path] = max(users, 0)
        if users <= 0 and path in _WRITERS:
            timer = threading.Timer(IDLE_CLOSE, _close_idle, args=(path,))
            timer.daemon = True
            _TIMERS[path] = timer
            timer.start()


def _close_idle(path: str) -> None:
    with _REGISTRY_LOCK:
        if _USERS.get(path, 0) > 0:
            return
        _TIMERS.pop(path, None)
        writer = _WRITERS.pop(path, None)
    if writer is not None:
        writer.close()


@atexit.register
def _close_all() -> None:
    with _REGISTRY_LOCK:
        writers = list(_WRITERS.values())
        _WRITERS.clear()
        for timer in _TIMERS.values():
            timer.cancel()
        _TIMERS.clear()
    for writer in writers:
        writer.close()


# -- the child ------------------------------------------------------------------------


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def _apply(store: Any, message: Sequence[Any], out: IO[bytes]) -> None:
    kind = message[0]
    if kind == "events":
        store.record_task_events(message[1])
    elif kind == "logs":
        store.record_logs(message[1])
    elif kind == "heartbeat":
        store.heartbeat(message[1], message[2])
    elif kind == "sync":
        out.write(f"{message[1]}\n".encode())
        out.flush()
    else:
        raise ValueError(f"unknown message {kind!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """The child: apply every message from stdin to the store at ``argv[0]`` until end of input."""
    from . import StoreError, open_store

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m orchestrator.store.writer PATH", file=sys.stderr)
        return 2
    store = open_store(args[0])
    source, out = sys.stdin.buffer, sys.stdout.buffer
    events: list[Any] = []

    def write(message: Sequence[Any]) -> None:
        try:
            _apply(store, message, out)
        except (StoreError, ValueError) as exc:
            # The run goes on; its history has a gap, said so here (the driver's stderr).
            print(f"daskflow: could not write to the run store {args[0]}: {exc}", file=sys.stderr, flush=True)

    try:
        while (header := _read_exactly(source, _HEADER.size)) is not None:
            frame = _read_exactly(source, _HEADER.unpack(header)[0])
            if frame is None:
                break
            message = pickle.loads(frame)
            if message[0] == "events":
                # Batches that are already waiting go in one transaction.
                events.extend(message[1])
                if len(events) < _MAX_EVENTS and _more_waiting(source):
                    continue
            if events:
                write(("events", events))
                events = []
            if message[0] != "events":
                write(message)
        if events:
            write(("events", events))
    finally:
        store.close()
    return 0


#: Events the child puts in one transaction at most.
_MAX_EVENTS: Final = 5_000


def _more_waiting(source: IO[bytes]) -> bool:
    """Whether the pipe has more input ready. (Input already in the reader's buffer is not
    seen; that only makes a transaction end early.)"""
    ready, _, _ = select.select([source.fileno()], [], [], 0)
    return bool(ready)
