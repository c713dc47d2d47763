"""What watches a flow run while it goes: the run store's recorder, the CLI and the progress displays.

``observing(engine, progress)`` wraps every top-level flow run. Inside it:

1. the run is recorded in the run store (``orchestrator.history.recorder``),
   unless recording is off;
2. every observer added in the current context (``add_run_observer``: the
   ``daskflow run`` progress display) is told about the run;
3. every installed run display (``install_run_display``: the views' notebook
   and text progress, installed by the package root) wraps the run, given the
   flow's ``progress`` option.

Displays and observers live in ``orchestrator.views``, above the engine, so
they reach it through this registry rather than an import. When the run ends
(however it ends), the displays close first, then the recorder writes the
run's end.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .run_engine import RunEngine

__all__ = ["RunDisplay", "RunObserver", "add_run_observer", "has_run_observers", "install_run_display", "observing"]

RunObserver = Callable[["RunEngine"], None]
#: A display of one run: given the engine and the flow's ``progress`` option, a context around the run.
RunDisplay = Callable[["RunEngine", "bool | None"], contextlib.AbstractContextManager[object]]

_OBSERVERS: contextvars.ContextVar[tuple[RunObserver, ...]] = contextvars.ContextVar(
    "daskflow_run_observers", default=()
)
_DISPLAYS: list[RunDisplay] = []


def install_run_display(display: RunDisplay) -> None:
    """Wrap every top-level flow run of this process in ``display`` (once per display)."""
    if display not in _DISPLAYS:
        _DISPLAYS.append(display)


def has_run_observers() -> bool:
    """Whether something (the CLI's progress display) observes flow runs started here."""
    return bool(_OBSERVERS.get())


@contextlib.contextmanager
def add_run_observer(observer: RunObserver) -> Iterator[None]:
    """Call ``observer(engine)`` for every flow run started in this context (the CLI's progress display)."""
    token = _OBSERVERS.set((*_OBSERVERS.get(), observer))
    try:
        yield
    finally:
        _OBSERVERS.reset(token)


@contextlib.contextmanager
def observing(engine: RunEngine, progress: bool | None) -> Iterator[None]:
    """Record and display ``engine``'s run while the block runs; see the module docstring."""
    from ..history.recorder import record  # the store loads with the first run, not with the package

    with record(engine.run, engine.listeners):
        for observer in _OBSERVERS.get():
            observer(engine)
        with contextlib.ExitStack() as displays:
            for display in _DISPLAYS:
                displays.enter_context(display(engine, progress))
            yield
