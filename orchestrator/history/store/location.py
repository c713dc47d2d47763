"""Where the run store lives, and ``open_store``, the one way callers get a store.

The default is ``$DASKFLOW_HOME/daskflow.db``, with ``DASKFLOW_HOME`` defaulting
to ``~/.daskflow``. The environment is read when a store is opened, never at
import, so tests and tools can point ``DASKFLOW_HOME`` anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from .errors import StoreError
from .protocol import RunStore
from .sqlite import SQLiteStore

__all__ = ["DB_FILENAME", "HOME_ENV", "default_store_path", "open_store"]

HOME_ENV: Final = "DASKFLOW_HOME"
DB_FILENAME: Final = "daskflow.db"
_DEFAULT_HOME: Final = "~/.daskflow"


def default_store_path() -> Path:
    """Return ``$DASKFLOW_HOME/daskflow.db``, or ``~/.daskflow/daskflow.db`` when it is unset."""
    home = os.environ.get(HOME_ENV) or _DEFAULT_HOME
    return Path(home).expanduser() / DB_FILENAME


def open_store(path: str | os.PathLike[str] | None = None) -> RunStore:
    """Open the run store at ``path`` (default: ``default_store_path()``), creating it if needed.

    ``":memory:"`` gives a private in-memory store, handy in tests. Close the
    store with ``close()`` when done.
    """
    if path is not None and os.fspath(path) == ":memory:":
        return SQLiteStore(":memory:")
    target = default_store_path() if path is None else Path(path).expanduser()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        message = (
            f"cannot create the directory {target.parent} for the run store: {exc}; "
            f"set {HOME_ENV} to a writable directory"
        )
        raise StoreError(message) from exc
    return SQLiteStore(target)
