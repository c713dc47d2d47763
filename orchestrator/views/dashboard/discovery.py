"""How a running dashboard is found: an advert file per dashboard in ``$DASKFLOW_HOME/dashboards/``.

``daskflow dashboard`` writes ``<pid>.json`` there while it serves (its URL
without the token, the store it serves, its PID and start time) and removes
it when it stops. ``daskflow run``, ``daskflow demo`` and notebook progress
call ``run_link(run_id)`` to print where the run can be watched. An advert
whose process is gone (killed, so it could not remove it), or whose PID now
belongs to a newer process, is ignored and deleted. The token never goes in
the advert: a browser that opened the dashboard once holds its cookie, and
output that may be shared (CI logs, saved notebooks) carries no secret.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import quote

from ...history.store import default_store_path
from .local_processes import same_process

__all__ = ["Advert", "advertise", "find_dashboard", "run_link", "withdraw"]

ADVERT_DIR: Final = "dashboards"


@dataclass(frozen=True)
class Advert:
    """A dashboard that says it serves ``store`` at ``url``."""

    url: str
    store: str
    pid: int
    started: float
    read_only: bool
    path: Path


def _directory(store_path: str | os.PathLike[str] | None) -> Path:
    store = Path(store_path) if store_path is not None else default_store_path()
    return store.expanduser().parent / ADVERT_DIR


def _same_file(a: str, b: str) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def advertise(url: str, store_path: str | os.PathLike[str], read_only: bool) -> Path:
    """Write this process's advert next to ``store_path``; returns its path (give it to ``withdraw``)."""
    directory = _directory(store_path)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{os.getpid()}.json"
    body = {
        "url": url,
        "store": os.path.realpath(store_path),
        "pid": os.getpid(),
        "started": time.time(),
        "read_only": read_only,
    }
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(body), encoding="utf-8")
    temporary.chmod(0o600)
    temporary.replace(path)  # readers never see half a file
    return path


def withdraw(path: Path) -> None:
    """Remove an advert ``advertise`` wrote; a missing one is fine."""
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def find_dashboard(store_path: str | os.PathLike[str] | None = None) -> Advert | None:
    """The newest live dashboard serving ``store_path`` (default: ``$DASKFLOW_HOME``'s store), or None."""
    store = os.fspath(Path(store_path).expanduser() if store_path is not None else default_store_path())
    directory = _directory(store)
    try:
        candidates = sorted(directory.glob("*.json"))
    except OSError:
        return None
    found: list[Advert] = []
    for path in candidates:
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            advert = Advert(
                str(body["url"]), str(body["store"]), int(body["pid"]), float(body["started"]),
                bool(body.get("read_only", False)), path,
            )  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            continue  # being written, or not ours
        if not same_process(advert.pid, advert.started):
            withdraw(path)  # its dashboard was killed before it could clean up
            continue
        if _same_file(advert.store, store):
            found.append(advert)
    return max(found, key=lambda a: a.started, default=None)


def run_link(run_id: str, store_path: str | os.PathLike[str] | None = None) -> str | None:
    """The URL of ``run_id``'s page on a dashboard serving the store, or None when none is running."""
    advert = find_dashboard(store_path)
    if advert is None:
        return None
    return f"{advert.url.rstrip('/')}/runs/{quote(run_id, safe='')}"
