"""Operators inside ``with Flow(...)`` blocks build tasks: ``x + y``, ``a[0]``, ``a > 1``, ``a, b = t()``.

In a Prefect 1 block, a call's placeholder (and a ``Parameter``) stands for a
value that exists only when the flow runs. So an operator on it records a
small task that applies the operator then, like Prefect 1's operator tasks
(``Add``, ``GetItem``, ``GreaterThan``...); a reflected operator (``1 + x``)
swaps the operands, and unpacking the result of a task with ``nout`` records
one ``GetItem`` per value. ``str()`` and formatting show the placeholder, as
in Prefect 1.

Questions that need a Python value while the block is being built (``bool``,
``len``, ``in``, ``int()``...) cannot be answered and raise, and so do ``==``
and ``!=`` against a value, which Prefect 1 answered by identity (a wrong
answer in an ``if``): compare inside a task, or branch with ``case``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any, Final

from ..engine.futures import describe_operation
from ..records.errors import FlowDefinitionError
from ..records.options import TaskOptions
from .tasks import Task

__all__ = ["build"]


def _operator_task(name: str, fn: Callable[..., Any]) -> Task[..., Any]:
    return Task(fn, TaskOptions(name=name))


_BINARY: Final[dict[str, Task[..., Any]]] = {
    "add": _operator_task("Add", operator.add),
    "sub": _operator_task("Sub", operator.sub),
    "mul": _operator_task("Mul", operator.mul),
    "matmul": _operator_task("MatMul", operator.matmul),
    "truediv": _operator_task("Div", operator.truediv),
    "floordiv": _operator_task("FloorDiv", operator.floordiv),
    "mod": _operator_task("Mod", operator.mod),
    "pow": _operator_task("Pow", operator.pow),
    "lshift": _operator_task("LShift", operator.lshift),
    "rshift": _operator_task("RShift", operator.rshift),
    "and": _operator_task("And", operator.and_),
    "or": _operator_task("Or", operator.or_),
    "xor": _operator_task("Xor", operator.xor),
    "divmod": _operator_task("DivMod", divmod),
    "lt": _operator_task("LessThan", operator.lt),
    "le": _operator_task("LessThanOrEqual", operator.le),
    "gt": _operator_task("GreaterThan", operator.gt),
    "ge": _operator_task("GreaterThanOrEqual", operator.ge),
    "getitem": _operator_task("GetItem", operator.getitem),
}
_UNARY: Final[dict[str, Task[..., Any]]] = {
    "neg": _operator_task("Neg", operator.neg),
    "pos": _operator_task("Pos", operator.pos),
    "abs": _operator_task("Abs", abs),
    "invert": _operator_task("Invert", operator.invert),
}


def _who(left: Any) -> str:
    return repr(getattr(left, "name", left))


def build(left: Any, operation: str, args: tuple[Any, ...], nout: int | None) -> Any:
    """What ``operation`` (a dunder name) on the placeholder ``left`` gives inside a block; see the docstring."""
    bare = operation.strip("_")
    if bare in _BINARY:
        return _BINARY[bare]._call((left, *args), {})
    if bare.startswith("r") and bare[1:] in _BINARY:
        return _BINARY[bare[1:]]._call((*args, left), {})
    if bare in _UNARY:
        return _UNARY[bare]._call((left,), {})
    if bare == "iter" and nout is not None:
        return iter([_BINARY["getitem"]._call((left, i), {}) for i in range(nout)])
    if bare in ("str", "format"):
        shown = repr(left)
        return format(shown, args[0]) if bare == "format" and args else shown
    hint = "compare inside a task, or branch with case()" if bare in ("eq", "ne") else "use its value inside a task"
    message = (
        f"{describe_operation(operation)} on {_who(left)} in a `with Flow(...)` block needs its value, which exists "
        f"only when the flow runs; {hint}"
    )
    raise FlowDefinitionError(message)
