"""Loading a flow from ``path/to/file.py:flow_name`` (or ``package.module:flow_name``)."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from ..records.errors import FlowDefinitionError
from .flows import FILE_MODULE_PREFIX, Flow

__all__ = ["load_flow"]


def load_flow(spec: str) -> Flow[Any, Any]:
    """The ``Flow`` named by ``spec``; ``FlowDefinitionError`` saying what is wrong otherwise."""
    location, sep, name = spec.rpartition(":")
    if not sep or not location or not name:
        raise FlowDefinitionError(f"flow {spec!r}: expected PATH:FLOW, like examples/etl.py:etl")
    entrypoint = spec
    if location.endswith(".py") or "/" in location:
        path = Path(location)
        # What a re-run loads: the file by its absolute path, so it works from any directory.
        entrypoint = f"{path.resolve()}:{name}"
        if not path.is_file():
            raise FlowDefinitionError(f"flow {spec!r}: no such file {location!r}")
        module_name = f"{FILE_MODULE_PREFIX}{path.stem}"
        module_spec = importlib.util.spec_from_file_location(module_name, path)
        if module_spec is None or module_spec.loader is None:
            raise FlowDefinitionError(f"flow {spec!r}: cannot load {location!r} as Python")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[module_name] = module
        module_spec.loader.exec_module(module)
        # Workers cannot import a module loaded from a file path: ship it by value.
        import cloudpickle

        cloudpickle.register_pickle_by_value(module)
    else:
        try:
            module = importlib.import_module(location)
        except ImportError as exc:
            raise FlowDefinitionError(f"flow {spec!r}: cannot import {location!r}: {exc}") from exc
    found = getattr(module, name, None)
    if not isinstance(found, Flow):
        raise FlowDefinitionError(f"flow {spec!r}: {location} has no @flow named {name!r}")
    found.entrypoint = entrypoint
    return found
