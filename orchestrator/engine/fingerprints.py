"""A task's fingerprint: the part of its cache keys that its code decides, computed on the driver.

Every cache key (orchestrator.worker.cache) starts from the task's
fingerprint, a sha256 over:

* the task's module and qualified name, its cache mode and ``cache_version``;
* with ``cache=True`` (``"inputs+source"``) also its **source**, as it was
  when the task was decorated (``capture_source``): the driver has the file,
  workers may not, so the fingerprint is computed here and only its hash
  ships, in the task's plan;
* and the **globals and closure cells** the function refers to. A value is
  tokenized (orchestrator.worker.tokens); a function or class of the user's
  own code (``__main__`` or a module outside site-packages) by its code, and
  the globals it refers to in turn, so editing a helper is a miss too; a
  module of the user's by the attributes the function reads from it; an
  installed function, class or module by its name.

A global with no deterministic token (a lock, a connection) makes the whole
task uncacheable for the run: ``NotDeterministic`` names it, and the
planner warns once. A key is never made from the rest.

Capturing the source is cheap at decoration: it keeps a reference to the
file's lines as ``linecache`` holds them then (refreshed if the file changed
on disk), and extracts the function's block only when a fingerprint is
needed. An edit made after the task was decorated, while the old code is
what runs, therefore does not change its fingerprint.
"""

from __future__ import annotations

import hashlib
import inspect
import linecache
import sys
import textwrap
import types
from typing import Any, Final

from ..worker.serialization import TaskLike
from ..worker.tokens import NotDeterministic, code_token, importable, stable_token
from .shipping import code_names, is_local

__all__ = ["SourceRef", "capture_source", "task_fingerprint"]

_VERSION: Final = "daskflow-task-fingerprint-1"


class SourceRef:
    """A function's source as it was when captured; the text is extracted on first use."""

    __slots__ = ("_first", "_lines", "_text")

    def __init__(self, lines: list[str], first: int) -> None:
        self._lines = lines
        self._first = first
        self._text: str | None = None

    def text(self) -> str | None:
        """The function's own lines (decorators left out), dedented; None if they cannot be found."""
        if self._text is None and self._lines:
            try:
                block = inspect.getblock(self._lines[self._first - 1 :])
            except Exception:  # noqa: BLE001 - tokenize errors: fall back to the code object
                return None
            start = next((i for i, line in enumerate(block) if line.lstrip().startswith(("def ", "async def "))), 0)
            self._text = textwrap.dedent("".join(block[start:]))
        return self._text

    def __reduce__(self) -> tuple[Any, ...]:
        # Never ship the file: the fingerprint, computed here, is all a worker needs.
        return (SourceRef, ([], 0))


def capture_source(fn: Any) -> SourceRef | None:
    """``fn``'s source as its file holds it now (a few microseconds); None for callables without one."""
    code = getattr(fn, "__code__", None)
    if not isinstance(code, types.CodeType):
        return None
    filename = code.co_filename
    linecache.checkcache(filename)
    lines = linecache.getlines(filename, getattr(fn, "__globals__", None))
    return SourceRef(lines, code.co_firstlineno) if lines else None


def task_fingerprint(task: TaskLike, source: SourceRef | None) -> str:
    """The task's fingerprint (see the module docstring); ``NotDeterministic`` naming an untokenizable global."""
    options = task.options
    fn = task.fn
    mode = options.cache_mode or "inputs+source"
    module = getattr(fn, "__module__", None) or type(fn).__module__
    qualname = getattr(fn, "__qualname__", None) or type(fn).__qualname__
    parts: list[Any] = [_VERSION, mode, module, qualname, repr(options.cache_version)]
    if mode == "inputs+source":
        text = source.text() if source is not None else None
        if text is not None:
            parts.append(("source", text))
        elif isinstance(fn, types.FunctionType):
            parts.append(code_token(fn.__code__))
        else:
            parts.append(("callable", stable_token(fn)))
        if isinstance(fn, types.FunctionType):
            parts.append(_References().of_function(fn))
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class _References:
    """Tokens of what a function refers to, following the user's own functions; each visited once."""

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def of_function(self, fn: types.FunctionType) -> tuple[Any, ...]:
        if id(fn) in self._seen:
            return ("seen", fn.__qualname__)
        self._seen.add(id(fn))
        names = code_names(fn.__code__)
        namespace = fn.__globals__
        found: list[Any] = []
        for name in sorted(names):
            if name in namespace:
                found.append(("global", name, self._token(namespace[name], names, f"global {name!r}")))
        for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell: bound later
                continue
            found.append(("closure", name, self._token(value, names, f"closure variable {name!r}")))
        return tuple(found)

    def _token(self, value: Any, names: set[str], what: str) -> Any:
        if isinstance(value, types.ModuleType):
            if not _users(value):
                return ("module", value.__name__)
            members = vars(value)
            used = sorted(n for n in names if n in members and not n.startswith("__"))
            return ("module", value.__name__, tuple((n, self._token(members[n], names, f"{what}.{n}")) for n in used))
        if isinstance(value, types.FunctionType):
            if importable(value) and not _users(sys.modules.get(value.__module__)):
                return ("function", value.__module__, value.__qualname__)
            return ("function", value.__qualname__, code_token(value.__code__), self.of_function(value))
        if isinstance(value, type):
            if importable(value) and not _users(sys.modules.get(value.__module__)):
                return ("class", value.__module__, value.__qualname__)
            methods = [(n, m) for n, m in vars(value).items() if isinstance(m, types.FunctionType)]
            return ("class", value.__qualname__, tuple((n, code_token(m.__code__)) for n, m in methods))
        wrapped = getattr(value, "__wrapped__", None)
        if isinstance(wrapped, types.FunctionType):  # another task, a decorated helper
            return ("wrapped", self._token(wrapped, names, what))
        try:
            return stable_token(value)
        except NotDeterministic as exc:
            message = f"its {what} ({type(value).__qualname__}) cannot be tokenized deterministically: {exc}"
            raise NotDeterministic(message) from None


def _users(module: types.ModuleType | None) -> bool:
    """Whether ``module`` is the user's own code (a script, a notebook, a local file), read by its code."""
    return module is not None and (module.__name__ == "__main__" or is_local(module))
