"""A small network of hosts on one Linux machine: network namespaces joined by veth pairs on a bridge.

Each host is a network namespace with one interface, ``eth0``, carrying one
address from 198.18.0.0/15 (RFC 2544's range for benchmark networks; never
10.x, 172.16-31.x or 192.168.x). Every ``eth0`` is one end of a veth pair
whose other end sits on a bridge inside a namespace of its own (the
"switch"), so the root namespace gains no interface, no address and no
route: nothing in the namespaces can reach anything outside them, and
nothing outside sends them traffic. Processes start inside a host with
``ip netns exec`` (which execs, so the PID we hold is the process itself)
and are stopped by that PID.

Names start with ``dfmh<pid>-``, the PID of the test process that made
them, so ``cleanup_stale()`` can tell a namespace left by a run that died
(its PID is gone) from one a concurrent run still uses, and removes only
those: first the processes inside (``ip netns pids``), by PID, then the
namespace by name. ``Network.destroy()`` does the same for its own, and runs
from a fixture finalizer even when a test fails.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO

__all__ = ["PREFIX", "SUBNET", "Network", "cleanup_stale", "namespaces_unavailable"]

PREFIX = "dfmh"
SUBNET = "198.18.0"
_IP = "ip"


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_IP, *args], capture_output=True, text=True, check=check, timeout=30)


def namespaces_unavailable() -> str | None:
    """Why this machine cannot build the network (not root, no ``ip``, no netns), or None if it can."""
    if os.geteuid() != 0:
        return "multi-host tests need root to create network namespaces (CI runs them as root)"
    probe = f"{PREFIX}{os.getpid()}-probe"
    try:
        made = _ip("netns", "add", probe, check=False)
    except FileNotFoundError:
        return "multi-host tests need the `ip` command (iproute2)"
    if made.returncode != 0:
        return f"cannot create a network namespace here: {made.stderr.strip()}"
    try:
        link = _ip("-n", probe, "link", "add", "br0", "type", "bridge", check=False)
        if link.returncode != 0:
            return f"cannot create a bridge in a network namespace here: {link.stderr.strip()}"
    finally:
        _ip("netns", "del", probe, check=False)
    return None


def _owner_alive(name: str) -> bool:
    digits = name[len(PREFIX) :].split("-", 1)[0]
    if not digits.isdigit():
        return True  # not a name this harness made: leave it alone
    try:
        os.kill(int(digits), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _kill_inside(namespace: str) -> None:
    """SIGKILL every process still inside ``namespace``, by PID."""
    listed = _ip("netns", "pids", namespace, check=False)
    for word in listed.stdout.split():
        if word.isdigit():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(word), signal.SIGKILL)


def _delete(namespace: str) -> None:
    _kill_inside(namespace)
    _ip("netns", "del", namespace, check=False)


def cleanup_stale() -> list[str]:
    """Remove the namespaces (and their processes) of harness runs whose test process died; their names."""
    listed = _ip("netns", "list", check=False)
    stale = []
    for line in listed.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX) and not _owner_alive(name):
            _delete(name)
            stale.append(name)
    return stale


class Network:
    """Hosts on one bridge; ``start(host, argv)`` runs a process in a host; ``destroy()`` removes it all."""

    def __init__(self, hosts: Mapping[str, int], logs: Path) -> None:
        self.prefix = f"{PREFIX}{os.getpid()}-"
        self.switch = f"{self.prefix}switch"
        #: host name -> its address, 198.18.0.N
        self.addresses = {host: f"{SUBNET}.{n}" for host, n in hosts.items()}
        self.logs = logs
        self.processes: list[tuple[str, subprocess.Popen[bytes]]] = []
        self._log_files: list[IO[bytes]] = []
        self._made: list[str] = []

    def namespace(self, host: str) -> str:
        return f"{self.prefix}{host}"

    def create(self) -> None:
        """Build the switch and every host; on any failure, remove what was made and raise."""
        try:
            self._add_namespace(self.switch)
            _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
            _ip("-n", self.switch, "link", "set", "br0", "up")
            for host, address in self.addresses.items():
                namespace = self.namespace(host)
                self._add_namespace(namespace)
                port = f"p-{host}"[:15]
                _ip(
                    "link",
                    "add",
                    "eth0",
                    "netns",
                    namespace,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    port,
                    "netns",
                    self.switch,
                )
                _ip("-n", self.switch, "link", "set", port, "master", "br0", "up")
                _ip("-n", namespace, "addr", "add", f"{address}/24", "dev", "eth0")
                _ip("-n", namespace, "link", "set", "eth0", "up")
                _ip("-n", namespace, "link", "set", "lo", "up")
        except BaseException:
            self.destroy()
            raise

    def _add_namespace(self, name: str) -> None:
        _ip("netns", "add", name)
        self._made.append(name)
        _ip("-n", name, "link", "set", "lo", "up")

    def start(
        self, host: str, argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None
    ) -> subprocess.Popen[bytes]:
        """Start ``argv`` inside ``host``; its output goes to ``logs/<host>.log``. Stopped by PID in ``destroy``."""
        log = (self.logs / f"{host}.log").open("ab")
        self._log_files.append(log)
        process = subprocess.Popen(
            [_IP, "netns", "exec", self.namespace(host), *argv],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
        self.processes.append((host, process))
        return process

    def run(self, host: str, argv: Sequence[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside ``host`` to its end and return its output."""
        return subprocess.run(
            [_IP, "netns", "exec", self.namespace(host), *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def cut(self, host: str) -> None:
        """Take ``host`` off the network: its interface goes down, as if its cable were pulled."""
        _ip("-n", self.namespace(host), "link", "set", "eth0", "down")

    def destroy(self) -> None:
        """Stop every process started here by its PID (TERM, then KILL), then remove every namespace."""
        for _, process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        # A few seconds of grace: these are test processes, and one holding a task thread never exits on TERM.
        deadline = time.monotonic() + 3
        for _, process in reversed(self.processes):
            try:
                process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        for name in reversed(self._made):
            _delete(name)
        self._made.clear()
        for log in self._log_files:
            log.close()
        self._log_files.clear()
