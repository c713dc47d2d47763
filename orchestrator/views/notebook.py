"""Live progress while a flow runs: an HTML table in a Jupyter notebook, plain text elsewhere.

``live_progress(engine, setting)`` wraps every top-level flow run (the
package root installs it as a run display, orchestrator.engine.observers). Whether it shows anything:

* ``@flow(progress=False)`` (or ``with_options``) never, ``True`` always;
* by default (``None``) the ``DASKFLOW_PROGRESS`` environment variable
  decides when set (``0`` / ``1``), else: only inside a Jupyter kernel;
* never when a run observer is registered (``daskflow run`` draws its own).

In a kernel it shows ``run_html.progress_html`` with
``IPython.display.display(..., display_id=True)`` and updates that one output
in place from a background thread, at most every ``HTML_EVERY`` seconds and
only when something changed, together with the latest log lines of the run's
tasks, and the run's link on a ``daskflow dashboard`` serving the same store
when one runs. When the run ends, however it ends (a value, an error, an interrupted
kernel), the output is updated once more with the final state. Outside a
kernel, ``progress.PlainDisplay`` prints one line every few seconds.

``in_notebook()`` never imports IPython: a kernel has imported it already.
"""

from __future__ import annotations

import collections
import contextlib
import contextvars
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..engine.observers import has_run_observers
from ..history.recorder import recording_enabled
from .dashboard.discovery import run_link
from .progress import PlainDisplay, Progress, totals
from .run_html import progress_html

if TYPE_CHECKING:
    from ..engine.run_engine import RunEngine

__all__ = ["HtmlDisplay", "in_notebook", "live_progress", "progress_wanted"]

_log = logging.getLogger("daskflow.notebook")

PROGRESS_ENV = "DASKFLOW_PROGRESS"
#: Seconds between two updates of the notebook output at most.
HTML_EVERY = 0.5
#: Log lines shown under the progress table.
LOG_LINES = 8


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (IPython's ``IPKernelApp``), without importing IPython."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001 - a broken or partial IPython means: not a notebook
        return False
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def progress_wanted(setting: bool | None) -> bool:
    """The flow's ``progress`` option, else ``DASKFLOW_PROGRESS``, else whether we run in a notebook."""
    if setting is not None:
        return setting
    raw = os.environ.get(PROGRESS_ENV, "").strip().lower()
    if raw in {"0", "false", "no", "off"}:
        return False
    if raw in {"1", "true", "yes", "on"}:
        return True
    return in_notebook()


@contextlib.contextmanager
def live_progress(engine: RunEngine, setting: bool | None) -> Iterator[None]:
    """Show ``engine``'s run live while the block runs; see the module docstring."""
    if not progress_wanted(setting) or has_run_observers():  # the CLI draws its own
        yield
        return
    progress = Progress(engine)
    engine.listeners.append(progress.on_event)
    display: HtmlDisplay | PlainDisplay
    if in_notebook():
        display = HtmlDisplay(progress)
        engine.listeners.append(display.on_event)
    else:
        display = PlainDisplay(progress, out=sys.stdout)
    try:
        display.start()
    except Exception as exc:  # noqa: BLE001 - no progress is better than no run
        _log.warning("flow run %s: cannot show progress: %s", engine.run.id, exc)
        yield
        return
    try:
        yield
    finally:
        display.stop()


class HtmlDisplay:
    """One notebook output, updated in place with ``progress_html`` while the run goes."""

    def __init__(self, progress: Progress, every: float = HTML_EVERY, lines: int = LOG_LINES) -> None:
        self.progress = progress
        self.every = every
        self.logs: collections.deque[tuple[str, str, str]] = collections.deque(maxlen=lines)
        self._stop = threading.Event()
        self._handle: Any = None
        self._seen = -1
        self._thread: threading.Thread | None = None
        #: The run's page on a dashboard serving the same store, if one runs (found once, at the start).
        self.dashboard: str | None = None

    def on_event(self, event: Mapping[str, Any]) -> None:
        """An engine listener: keeps the latest log lines (runs on Dask's event loop; cheap)."""
        if event.get("kind") != "logs":
            return
        for record in event.get("records") or ():
            who = record.get("name") or "flow"
            self.logs.append((str(record.get("level", "")), str(who), str(record.get("message", ""))))
        self.progress.touch()  # redraw for new log lines too

    def start(self) -> None:
        self.dashboard = _dashboard_link(self.progress.engine.run.id)
        self._handle = _ipython_display().display(self._render(), raw=True, display_id=True)
        # The kernel routes output by the cell's context: run the loop in a copy of ours.
        context = contextvars.copy_context()
        self._thread = threading.Thread(
            target=context.run, args=(self._loop,), name="daskflow-notebook-progress", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5.0)
        self.progress.settle()
        self._update(final=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            if self.progress.changes != self._seen:
                self._update()

    def _update(self, final: bool = False) -> None:
        self._seen = self.progress.changes
        if self._handle is not None:
            with contextlib.suppress(Exception):  # a closed kernel channel must not break the run
                self._handle.update(self._render(final), raw=True)

    def _render(self, final: bool = False) -> dict[str, str]:
        """The output's bundle: the HTML table, and one line of text for frontends without HTML."""
        run = self.progress.engine.run
        elapsed = run.duration if final and run.duration is not None else self.progress.elapsed()
        rows = self.progress.rows()
        html = progress_html(
            run.flow_name, run.id, run.state, elapsed, rows, list(self.logs), run.message if final else None,
            self.dashboard,
        )  # fmt: skip
        everything = totals(rows)
        text = (
            f"flow run {run.id} of {run.flow_name!r}: {run.state.value}, "
            f"{everything.done + everything.failed}/{everything.total} task runs finished"
            + (f", {everything.running} running" if everything.running else "")
            + (f", {everything.failed} failed" if everything.failed else "")
            + (f"; dashboard: {self.dashboard}" if self.dashboard else "")
        )
        return {"text/html": html, "text/plain": text}


def _dashboard_link(run_id: str) -> str | None:
    """The run's page on a dashboard serving this process's run store, if recording is on and one runs."""
    return run_link(run_id) if recording_enabled() else None


def _ipython_display() -> Any:
    """``IPython.display``, imported only once we know a kernel is running."""
    import IPython.display

    return IPython.display
