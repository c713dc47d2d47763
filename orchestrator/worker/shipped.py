"""``Shipped``: a task argument that travels cloudpickled on its own, loaded on first use on the worker.

The engine wraps an argument in ``Shipped`` when its class (or the argument
itself, a function or class) lives in a module that ships by value
(``orchestrator.engine.shipping``). Dask pickles graphs with the standard
pickle, which would refer to that module by name, and the scheduler, which
unpickles graphs, does not have it. So the value is cloudpickled separately
and stays bytes until the state layer fills it into the call on the worker.
"""

from __future__ import annotations

import pickle
from typing import Any

import cloudpickle

__all__ = ["Shipped"]


class Shipped:
    """A task argument from a shipped module: cloudpickled on its own, loaded on first use on the worker."""

    __slots__ = ("_loaded", "_payload", "_value")

    def __init__(self, value: Any) -> None:
        self._value = value
        self._payload: bytes | None = None
        self._loaded = True

    @property
    def value(self) -> Any:
        if not self._loaded:
            assert self._payload is not None
            self._value = pickle.loads(self._payload)
            self._loaded = True
            self._payload = None
        return self._value

    def __reduce__(self) -> tuple[Any, ...]:
        payload = self._payload
        if self._loaded:
            payload = cloudpickle.dumps(self._value, protocol=pickle.HIGHEST_PROTOCOL)
        return (_unpickle_shipped, (payload,))

    def __repr__(self) -> str:
        return f"Shipped({self._value!r})" if self._loaded else "Shipped(<not loaded>)"


def _unpickle_shipped(payload: bytes) -> Shipped:
    shipped = Shipped.__new__(Shipped)
    shipped._payload, shipped._value, shipped._loaded = payload, None, False
    return shipped
