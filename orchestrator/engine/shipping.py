"""Shipping the user's own code to workers that do not have it: helper modules and their objects.

Workers usually have the installed packages (site-packages) but not the
user's own files: a notebook, the helper module beside it, a script. The rule:

* Functions and classes defined in ``__main__`` (a notebook, a script) are
  pickled by value already (cloudpickle).
* A module outside site-packages and the standard library is **local**, and
  ships by value when a task run on a cluster needs it: the task's own
  module, and every local module that the task function reaches through its globals, closures and defaults, following
  functions and classes of ``__main__`` and of local modules
  (``ship_referenced_modules``).
* ``@flow(ship_modules=[mod, ...])`` ships modules explicitly, local or not,
  for instance a package installed here but not on the workers
  (``ship_modules``). Shipping is process-wide from the first run on.
* An argument whose class (or which, as a function or class, itself) lives in
  a shipped module is wrapped in ``Shipped`` by the template builder: it is
  cloudpickled on its own, because Dask pickles the graph with the standard
  pickle, which would refer to the module by name, and the scheduler, which
  unpickles graphs, does not have it either. ``Shipped``
  (orchestrator.worker.shipped) stays bytes until the state layer asks for its
  value on the worker.

What cannot ship: a module imported inside a task body at run time (import
it at the top of the notebook instead), and data files the module reads.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import types
from collections.abc import Iterable
from typing import Any

import cloudpickle

__all__ = ["code_names", "is_local", "ship_modules", "ship_referenced_modules", "ships"]

_lock = threading.Lock()
#: Module name -> whether values of it ship by value; read without the lock on the hot path.
_SHIPS: dict[str, bool] = {}
#: The names registered by value, as last seen in cloudpickle's registry.
_REGISTERED: frozenset[str] = frozenset()
_NEVER_LOCAL = frozenset({"__main__", "builtins", "orchestrator", "executors"})
#: Shipped modules whose namespace was walked already (once per process).
_SCANNED: set[str] = set()


_INSTALLED_ROOTS: tuple[str, ...] | None = None


def _installed_roots() -> tuple[str, ...]:
    """Where installed code lives: the standard library and every site-packages."""
    global _INSTALLED_ROOTS
    if _INSTALLED_ROOTS is None:
        import site
        import sysconfig

        paths = {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
        paths.update(site.getsitepackages())
        paths.add(site.getusersitepackages())
        _INSTALLED_ROOTS = tuple(os.path.realpath(p) + os.sep for p in paths if p)
    return _INSTALLED_ROOTS


def ship_modules(modules: Iterable[types.ModuleType]) -> None:
    """Pickle these modules (and their submodules) by value from now on, in this process."""
    added = False
    for module in modules:
        if module.__name__ not in cloudpickle.list_registry_pickle_by_value():
            cloudpickle.register_pickle_by_value(module)
            added = True
    if added:
        refresh()


def refresh() -> None:
    """Forget cached decisions if cloudpickle's by-value registry changed (a run start calls this)."""
    global _REGISTERED
    registered = frozenset(cloudpickle.list_registry_pickle_by_value())
    if registered != _REGISTERED:
        with _lock:
            _REGISTERED = registered
            _SHIPS.clear()


def ships(module_name: str) -> bool:
    """Whether values of ``module_name`` go by value: it (or a parent package) is registered, or it is local."""
    decided = _SHIPS.get(module_name)
    if decided is None:
        decided = _decide(module_name)
    return decided


def _decide(module_name: str) -> bool:
    parts = module_name.split(".")
    registered = any(".".join(parts[:i]) in _REGISTERED for i in range(1, len(parts) + 1))
    module = sys.modules.get(module_name)
    decided = registered or (module is not None and is_local(module))
    if decided and not registered and module is not None:
        _register(module)
    _SHIPS[module_name] = decided
    return decided


def is_local(module: types.ModuleType) -> bool:
    """Whether ``module`` is the user's own code: outside site-packages and the standard library."""
    name = module.__name__
    if name.partition(".")[0] in _NEVER_LOCAL:
        return False
    path = getattr(module, "__file__", None)
    return isinstance(path, str) and not os.path.realpath(path).startswith(_installed_roots())


def _register(module: types.ModuleType) -> None:
    global _REGISTERED
    with _lock:
        if module.__name__ not in _REGISTERED:
            cloudpickle.register_pickle_by_value(module)
            _REGISTERED = _REGISTERED | {module.__name__}


def ship_referenced_modules(fn: Any) -> None:
    """Ship every local module ``fn`` reaches; see the module docstring. Cheap for installed functions."""
    todo: list[Any] = [fn]
    seen: set[int] = set()
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        try:
            todo.extend(_reached_from(obj))
        except Exception:  # noqa: BLE001 - an odd object (a lazy proxy...) must not fail the run
            continue


def _reached_from(obj: Any) -> list[Any]:
    """Ship ``obj`` if it is a local module; what to look at next."""
    if isinstance(obj, types.ModuleType):
        name = obj.__name__
        if name in _SCANNED or not (name in _REGISTERED or is_local(obj)):
            return []
        _register(obj)
        _SHIPS[name] = True
        _SCANNED.add(name)
        # What its own functions and classes use: reached as ``module.attribute``, which the
        # caller's code names cannot resolve.
        members = vars(obj).values()
        return [v for v in members if isinstance(v, types.ModuleType) or getattr(v, "__module__", None) == name]
    if isinstance(obj, types.MethodType):
        return [obj.__func__]
    if isinstance(obj, (types.FunctionType, type)):
        found: list[Any] = []
        owner = getattr(obj, "__module__", None) or ""
        if owner != "__main__":
            module = sys.modules.get(owner)
            if module is None or not (owner in _REGISTERED or is_local(module)):
                return []  # installed code is imported by name on the workers
            found.append(module)
        found.extend(_reached_by_function(obj) if isinstance(obj, types.FunctionType) else _members(obj))
        return found
    module = sys.modules.get(type(obj).__module__)
    return [module] if module is not None and module.__name__ != "__main__" else []


def _reached_by_function(fn: types.FunctionType) -> list[Any]:
    found: list[Any] = []
    namespace = fn.__globals__
    for name in code_names(fn.__code__):
        if name in namespace:
            found.append(namespace[name])
    for cell in fn.__closure__ or ():
        with contextlib.suppress(ValueError):  # an empty cell
            found.append(cell.cell_contents)
    found.extend(fn.__defaults__ or ())
    found.extend((fn.__kwdefaults__ or {}).values())
    wrapped = getattr(fn, "__wrapped__", None)
    if wrapped is not None:
        found.append(wrapped)
    return found


def code_names(code: types.CodeType) -> set[str]:
    """Every global and attribute name ``code`` (and the code nested in it) refers to."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= code_names(const)
    return names


def _members(cls: type) -> list[Any]:
    found: list[Any] = []
    for value in vars(cls).values():
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        if isinstance(value, types.FunctionType):
            found.append(value)
    return found
