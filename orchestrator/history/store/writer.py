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
  ``("logs", [record, ...])``, ``("graph", run_id, [node, ...])``,
  ``("run_info", run_id, {field: value})``, ``("heartbeat", run_id, ts)``
  or ``("sync", n)``. It applies them in order and, for ``sync``, writes the
  line ``n f`` to stdout once everything before it is committed, ``f``
  being how many writes it could not make so far.
* **Lifetime.** ``writer_for(path)`` shares one child per store file among
  the runs of a process. When the last run using it lets go, the child is
  closed after ``IDLE_CLOSE`` seconds unless another run takes it first. At
  end of input (the driver closed it, exited, or was killed) the child
  writes what it has read and exits, so a killed driver's last events still
  land.
* **Failure.** A child that cannot start or dies makes ``send`` return
  False; the recorder then writes that batch itself (orchestrator.history.recorder).
  A store locked by another process only slows the child: it tries the same
  write again (``patience.patiently``). Other write errors (a full disk) are
  reported on its stderr, which is the driver's, and counted for the
  driver's end-of-run report.

The child is ``main(PATH)``, started with ``python -c`` (``-m`` would import
this module twice, since the package already imports it).
"""

from __future__ import annotations

import atexit
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import IO, Any, Final

__all__ = ["IDLE_CLOSE", "MAX_BATCH", "StoreWriter", "main", "release_writer", "writer_for"]

#: Seconds an unused child lingers, so back-to-back runs (tests, a notebook) reuse it.
IDLE_CLOSE: Final = 10.0
#: Backstop for a child to start, commit everything sent and acknowledge.
SYNC_TIMEOUT: Final = 120.0
#: How long a child may take no input (a stopped child) before the driver gives up on it and
#: writes itself. A child waiting out a store another process locks takes no input either, and
#: a lock held for 30 s must only slow the writes: so four times the store's lock timeout.
SEND_TIMEOUT: Final = 120.0
#: Events per transaction at most, so one commit never holds the store's write lock for long.
MAX_BATCH: Final = 5_000
_HEADER = struct.Struct(">I")


class StoreWriter:
    """The driver's end of one writer child; see the module docstring. Thread-safe."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()  # one frame at a time on the pipe
        self._sync_lock = threading.Lock()  # one reader of the acknowledgements at a time
        self._syncs = 0
        self._acked = 0
        self._pending_ack = b""
        #: Writes the child could not make (it says why on stderr), as of its last acknowledgement.
        self.failures = 0
        self._process: subprocess.Popen[bytes] | None = subprocess.Popen(
            [sys.executable, "-c", _CHILD_COMMAND, path],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            close_fds=True,
            # Its own session: a Ctrl-C in the terminal, or Jupyter interrupting the kernel's
            # process group, must not kill the writer with the run's last events unwritten.
            start_new_session=True,
        )
        assert self._process.stdin is not None
        os.set_blocking(self._process.stdin.fileno(), False)

    @property
    def alive(self) -> bool:
        process = self._process
        return process is not None and process.poll() is None

    def send(self, message: tuple[Any, ...], timeout: float = SEND_TIMEOUT) -> bool:
        """Queue one message for the child; False if the child is gone or stuck (the caller writes it itself).

        A child that takes no input for ``timeout`` seconds is killed: half a
        frame may be in the pipe, so nothing more can follow it.
        """
        frame = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            process = self._process
            if process is None or process.stdin is None:
                return False
            try:
                sent = _write_all(process.stdin.fileno(), _HEADER.pack(len(frame)) + frame, timeout)
            except (OSError, ValueError):
                sent = False
            if not sent:
                self._abandon(process)
            return sent

    def sync(self, timeout: float = SYNC_TIMEOUT) -> bool:
        """Wait until the child committed everything sent so far; False if it died or timed out."""
        with self._sync_lock:
            with self._lock:
                self._syncs += 1
                token = self._syncs
            if not self.send(("sync", token)):
                return False
            process = self._process
            if process is None or process.stdout is None:
                return False
            deadline = time.monotonic() + timeout
            while self._acked < token:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._read_acks(process.stdout.fileno(), remaining):
                    return False
            return True

    def _read_acks(self, fd: int, timeout: float) -> bool:
        """Read what acknowledgements are there (whole lines, each a sync token); False on EOF or timeout."""
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            return False
        chunk = os.read(fd, 4096)
        if not chunk:
            return False
        *lines, self._pending_ack = (self._pending_ack + chunk).split(b"\n")
        for line in lines:
            token, failures = line.split()
            self._acked = max(self._acked, int(token))
            self.failures = max(self.failures, int(failures))
        return True

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

    def _abandon(self, process: subprocess.Popen[bytes]) -> None:
        """Stop using a child that died or stopped reading (called holding ``_lock``)."""
        self._process = None
        process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


_CHILD_COMMAND: Final = "import sys; from orchestrator.history.store.writer import main; sys.exit(main())"


def _write_all(fd: int, data: bytes, timeout: float) -> bool:
    """Write ``data`` to a non-blocking pipe; False if the reader took none of it for ``timeout`` s."""
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            _, ready, _ = select.select([], [fd], [], timeout)
            if not ready:
                return False
            continue
        view = view[written:]
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


def _forget_writers() -> None:
    """In a forked child: the parent's writers, locks and timers are the parent's, never ours."""
    global _REGISTRY_LOCK
    _REGISTRY_LOCK = threading.Lock()
    _WRITERS.clear()
    _USERS.clear()
    _TIMERS.clear()


os.register_at_fork(after_in_child=_forget_writers)


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


def _apply(store: Any, message: Sequence[Any], out: IO[bytes], failures: int) -> None:
    kind = message[0]
    if kind == "events":
        store.record_task_events(message[1])
    elif kind == "logs":
        store.record_logs(message[1])
    elif kind == "graph":
        store.record_graph(message[1], message[2])
    elif kind == "run_info":
        store.set_flow_run_info(message[1], message[2])
    elif kind == "heartbeat":
        store.heartbeat(message[1], message[2])
    elif kind == "sync":
        out.write(f"{message[1]} {failures}\n".encode())
        out.flush()
    else:
        raise ValueError(f"unknown message {kind!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """The child: apply every message from stdin to the store at ``argv[0]`` until end of input."""
    from . import StoreError, open_store
    from .patience import patiently

    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: the writer child takes one argument, the store file's path", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # only the end of input stops the writer
    store = open_store(args[0])
    source, out = sys.stdin.buffer, sys.stdout.buffer
    events: list[Any] = []

    failures = [0]

    def warn(text: str) -> None:
        print(f"daskflow: {text}", file=sys.stderr, flush=True)

    def write(message: Sequence[Any]) -> None:
        try:
            patiently(lambda: _apply(store, message, out, failures[0]), warn)
        except (StoreError, ValueError) as exc:
            # The run goes on; its history has a gap, said so here (the driver's stderr) and
            # counted in the acknowledgements, so the driver can say so at the end of the run.
            failures[0] += 1
            warn(f"could not write to the run store {args[0]}: {exc}")

    try:
        while (header := _read_exactly(source, _HEADER.size)) is not None:
            frame = _read_exactly(source, _HEADER.unpack(header)[0])
            if frame is None:
                break
            message = pickle.loads(frame)
            if message[0] == "events":
                # Batches that are already waiting go in one transaction.
                events.extend(message[1])
                if len(events) < MAX_BATCH and _more_waiting(source):
                    continue
            if events:
                write(("events", events))
                events = []
            if message[0] != "events":
                write(message)
    finally:
        if events:  # whatever ended the loop, what was read gets written
            write(("events", events))
        store.close()
    return 0


def _more_waiting(source: IO[bytes]) -> bool:
    """Whether the pipe has more input ready. (Input already in the reader's buffer is not
    seen; that only makes a transaction end early.)"""
    ready, _, _ = select.select([source.fileno()], [], [], 0)
    return bool(ready)
