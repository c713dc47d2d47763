"""Tokens of Python values that are the same in every process, or an error saying why they cannot be.

Cache keys must match across processes: a flow run today and one tomorrow,
on other workers. ``dask.base.tokenize(..., ensure_deterministic=True)``
only checks that one process pickles a value the same way twice, and falls
back to pickles that differ between processes: a dataclass defined in
``__main__`` (cloudpickle gives its class a fresh tracker id in every
process) or any object holding a set of strings (string hashes, and so set
order, are randomised per process). Both were measured here: same values,
different tokens in two interpreters.

So ``stable_token`` first turns a value into a structure of plain data:

* scalars as they are; lists, tuples, dicts and sets item by item (dicts and
  sets sorted, so their order does not matter);
* values Dask knows specifically (NumPy arrays, pandas and Arrow objects,
  anything with ``__dask_tokenize__``) by Dask's own token of them;
* functions by module and qualified name when they are importable by that
  name, else by their code (``code_token``); classes by module and name;
* enums, dataclasses and every other object by what pickling would record
  (``__reduce_ex__``): the constructor's name, its arguments and its state,
  each normalised the same way, so a set inside an object is sorted too.

What has no such form (a lock, a socket, an open file, a bare ``object()``)
raises ``NotDeterministic`` with the reason; callers then do not cache, and
never use a partial key.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import enum
import functools
import hashlib
import pathlib
import sys
import types
from collections import OrderedDict
from typing import Any, Final

__all__ = ["NotDeterministic", "Opaque", "code_token", "importable", "normalise", "stable_token"]

#: Values that stand for themselves in a token.
_PLAIN: Final = frozenset({int, float, str, bytes, bool, type(None), complex})
#: Values whose repr is their whole, deterministic identity.
_BY_REPR: Final = (
    datetime.date,
    datetime.time,
    datetime.timedelta,
    decimal.Decimal,
    pathlib.PurePath,
    range,
    slice,
    type(Ellipsis),
)
_MAX_DEPTH: Final = 200


class NotDeterministic(Exception):
    """A value has no token that is the same in every process; ``str()`` says why."""


class Opaque:
    """A part of a key that is already a token (an upstream task's cache key): taken as it is."""

    __slots__ = ("token",)

    def __init__(self, token: str) -> None:
        self.token = token


def stable_token(value: Any) -> str:
    """A sha256 hex token of ``value``, equal in every process for equal values; ``NotDeterministic`` if none."""
    return hashlib.sha256(repr(normalise(value)).encode()).hexdigest()


def normalise(value: Any) -> Any:
    """``value`` as plain, deterministically ordered data; see the module docstring."""
    try:
        return _Normaliser().run(value, 0)
    except RecursionError:
        raise NotDeterministic("it is nested too deeply to tokenize") from None


def code_token(code: types.CodeType) -> tuple[Any, ...]:
    """What a code object computes: bytecode, constants, names and argument shape, without line numbers.

    Moving a function in its file keeps its token; changing what it does changes it.
    """
    consts = tuple(code_token(c) if isinstance(c, types.CodeType) else _const(c) for c in code.co_consts)
    return (
        "code",
        code.co_code,
        consts,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_argcount,
        code.co_kwonlyargcount,
        code.co_flags,
    )


def _const(value: Any) -> Any:
    if isinstance(value, frozenset):
        return ("frozenset", tuple(sorted(map(repr, value))))
    return repr(value)


def importable(obj: Any) -> bool:
    """Whether ``obj`` (a function or class) is what its module's attribute of its qualified name holds."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    if module is None or module.__name__ == "__main__":
        return False
    found: Any = module
    for part in getattr(obj, "__qualname__", "").split("."):
        found = getattr(found, part, None)
        if found is None:
            return False
    return found is obj


class _Normaliser:
    __slots__ = ("_active",)

    def __init__(self) -> None:
        #: ids of the containers being walked, to tell a cycle from a shared value.
        self._active: set[int] = set()

    def run(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if kind in _PLAIN:
            return value
        if depth > _MAX_DEPTH:
            raise NotDeterministic("it is nested too deeply to tokenize")
        if kind is Opaque:
            return ("opaque", value.token)
        if id(value) in self._active:
            return ("cycle",)
        self._active.add(id(value))
        try:
            return self._structure(value, kind, depth + 1)
        finally:
            self._active.discard(id(value))

    def _structure(self, value: Any, kind: type, depth: int) -> Any:
        run = self.run
        if kind is list or kind is tuple:
            if all(type(v) in _PLAIN for v in value):
                return (kind.__name__, tuple(value))
            return (kind.__name__, tuple(run(v, depth) for v in value))
        if kind is dict:
            items = [(run(k, depth), run(v, depth)) for k, v in value.items()]
            return ("dict", tuple(sorted(items, key=repr)))
        if kind is set or kind is frozenset:
            return (kind.__name__, tuple(sorted((run(v, depth) for v in value), key=repr)))
        if isinstance(value, (list, tuple)):  # a namedtuple, a list subclass: its class is part of its value
            return ("sequence", kind.__module__, kind.__qualname__, tuple(run(v, depth) for v in value))
        if isinstance(value, dict):
            items = [(run(k, depth), run(v, depth)) for k, v in value.items()]
            ordered = items if isinstance(value, OrderedDict) else sorted(items, key=repr)
            return ("mapping", kind.__module__, kind.__qualname__, tuple(ordered))
        if isinstance(value, (set, frozenset)):
            return ("set", kind.__module__, kind.__qualname__, tuple(sorted((run(v, depth) for v in value), key=repr)))
        if isinstance(value, _BY_REPR):
            return ("repr", kind.__qualname__, repr(value))
        dask_token = _dask_token(value, kind)
        if dask_token is not None:
            return ("dask", dask_token)
        if isinstance(value, type):
            return ("class", value.__module__, value.__qualname__)
        if isinstance(value, types.FunctionType):
            return self._function(value, depth)
        if isinstance(value, (types.BuiltinFunctionType, types.MethodDescriptorType, types.WrapperDescriptorType)):
            owner = getattr(value, "__self__", None)
            if owner is not None and not isinstance(owner, types.ModuleType):
                return ("method", run(owner, depth), value.__name__)
            return ("builtin", getattr(value, "__module__", None), value.__qualname__)
        if isinstance(value, types.MethodType):
            return ("method", run(value.__self__, depth), value.__func__.__name__)
        if isinstance(value, types.ModuleType):
            return ("module", value.__name__)
        if isinstance(value, functools.partial):
            return ("partial", run(value.func, depth), run(value.args, depth), run(value.keywords, depth))
        if isinstance(value, enum.Enum):
            return ("enum", kind.__module__, kind.__qualname__, value.name)
        if dataclasses.is_dataclass(value):
            fields = tuple((f.name, run(getattr(value, f.name, None), depth)) for f in dataclasses.fields(value))
            return ("dataclass", kind.__module__, kind.__qualname__, fields)
        wrapped = getattr(value, "__wrapped__", None)
        if isinstance(wrapped, types.FunctionType):  # a decorated function, a Task
            return ("wrapped", kind.__qualname__, self._function(wrapped, depth))
        return self._reduced(value, kind, depth)

    def _function(self, fn: types.FunctionType, depth: int) -> Any:
        if importable(fn):
            return ("function", fn.__module__, fn.__qualname__)
        closure = tuple(self.run(_cell(c), depth) for c in fn.__closure__ or ())
        defaults = self.run(fn.__defaults__, depth), self.run(fn.__kwdefaults__, depth)
        return ("function", fn.__qualname__, code_token(fn.__code__), closure, defaults)

    def _reduced(self, value: Any, kind: type, depth: int) -> Any:
        if kind is object:
            raise NotDeterministic("a bare object() has no value to tokenize")
        try:
            reduced = value.__reduce_ex__(4)
        except Exception as exc:  # noqa: BLE001 - whatever stops pickling stops a token too
            raise NotDeterministic(f"it cannot be pickled ({type(exc).__name__}: {exc})") from None
        if isinstance(reduced, str):  # a module-level singleton, pickled by name
            return ("global", kind.__module__, reduced)
        run = self.run
        parts: list[Any] = ["reduce", kind.__module__, kind.__qualname__]
        constructor, args, *rest = reduced
        parts.append(run(constructor, depth))
        parts.append(run(args, depth))
        state = rest[0] if rest else None
        parts.append(run(state, depth))
        for items in rest[1:3]:
            if items is not None:
                parts.append(run(list(items) if not isinstance(items, dict) else dict(items), depth))
        return tuple(parts)


def _cell(cell: Any) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell: a name the closure binds later
        return ("empty-cell",)


def _dask_token(value: Any, kind: type) -> str | None:
    """Dask's token of ``value`` where Dask tokenizes its type specifically (arrays, frames); else None."""
    from dask.tokenize import normalize_object, normalize_token, tokenize

    if hasattr(value, "__dask_tokenize__") and not isinstance(value, type):
        return str(tokenize(value, ensure_deterministic=True))
    try:
        handler = normalize_token.dispatch(kind)  # type: ignore[no-untyped-call]
    except TypeError:
        return None
    if handler is normalize_object:
        return None
    try:
        return str(tokenize(value, ensure_deterministic=True))
    except Exception as exc:  # noqa: BLE001 - dask's TokenizationError, or the type's own failure
        raise NotDeterministic(f"Dask cannot tokenize it deterministically ({exc})") from None
