"""Lazy branching: ``case(...)`` blocks, ``merge(...)`` and ``ifelse(...)``.

In a ``@flow`` body, ``if x.result():`` branches on the driver, which needs a
flush and a wait. These build both branches into the graph instead, so the
choice is made on the cluster and nothing waits:

* ``with case(value, expected):`` adds one hidden *condition* node, which
  raises ``Skip("condition false")`` unless ``value == expected``, and makes
  every task call inside the block wait for it (through
  ``context.conditions_var``, read by ``Task._call``). On an untaken branch
  the default trigger skips those tasks, and ``triggers.skip_reason`` keeps
  the reason "condition false" along the whole branch. Blocks nest: an inner
  condition node waits for the outer one.
* ``merge(a, b, ...)`` is a hidden node under the ``not_all_skipped`` trigger
  that returns the value of the first branch that was not skipped.
* ``ifelse(cond, true_task, false_task)`` runs one of two tasks (or zero-argument
  callables) on ``bool(cond)`` and returns the ``merge`` of the two.

All of it works the same inside a Prefect 1 ``with Flow(...)`` block, where
the hidden nodes are recorded and replayed like any other call.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any

from ..engine.context import conditions_var, current_engine
from ..engine.futures import TaskFuture, allow_failure
from ..records.errors import FlowDefinitionError, Skip
from ..records.options import TaskOptions
from ..records.states import State
from ..records.triggers import CONDITION_FALSE, not_all_skipped
from .tasks import Task

__all__ = ["case", "ifelse", "merge"]


def _check_condition(value: Any, expected: Any, as_bool: bool) -> None:
    actual = bool(value) if as_bool else value
    if actual != expected:
        raise Skip(CONDITION_FALSE)


def _first_ran(*branches: State) -> Any:
    for state in branches:
        if state.is_completed:
            return state.data
    # Only reachable when a merge sits inside a taken case whose branches all skipped.
    raise Skip(CONDITION_FALSE)


_CHECK: Task[..., None] = Task(_check_condition, TaskOptions(name="case"))
_MERGE: Task[..., Any] = Task(_first_ran, TaskOptions(name="merge", trigger=not_all_skipped))


def _describe(value: Any) -> str:
    return value.name if isinstance(value, TaskFuture) else repr(value)


class case:  # noqa: N801 - lower case like Prefect 1's, since it reads as a statement
    """``with case(value, expected):`` -- tasks called in the block run only if ``value == expected``.

    ``value`` is a ``TaskFuture`` (compared on the cluster, without a flush)
    or a plain value. Tasks in the block whose condition is false end Skipped
    with the reason "condition false", and so do their dependents.
    """

    def __init__(self, value: Any, expected: Any, *, as_bool: bool = False) -> None:
        self.value = value
        self.expected = expected
        self.as_bool = as_bool
        self.condition: TaskFuture[None] | None = None
        self._token: Any = None

    def __enter__(self) -> case:
        if current_engine() is None:
            message = "case() builds a branch of a flow's graph; use it inside a @flow body or a `with Flow(...)` block"
            raise FlowDefinitionError(message)
        shown = f"bool({_describe(self.value)})" if self.as_bool else _describe(self.value)
        self.condition = _CHECK._call(
            (self.value, self.expected, self.as_bool), {}, f"case({shown} == {self.expected!r})"
        )
        self._token = conditions_var.set((*conditions_var.get(), self.condition))
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        conditions_var.reset(self._token)


def merge(*branches: TaskFuture[Any]) -> TaskFuture[Any]:
    """The value of the first of ``branches`` that was not skipped (the branch a ``case`` took).

    Skipped itself ("condition false") when every branch was skipped; Skipped
    ("upstream failed") when a branch failed, which then still fails the run.
    """
    if not branches or not all(isinstance(b, TaskFuture) for b in branches):
        raise FlowDefinitionError("merge() takes the TaskFutures of the branches to merge, at least one")
    # Each branch is passed as its State (to tell "skipped" from "returned None") and
    # also waited for plainly, so the trigger sees it: allow_failure slots bypass triggers.
    merged: TaskFuture[Any] = _MERGE._call(
        tuple(allow_failure(b) for b in branches), {"wait_for": list(branches)}, "merge"
    )
    return merged


def _branch(chosen: Any) -> TaskFuture[Any]:
    if isinstance(chosen, TaskFuture):
        return chosen
    if callable(chosen):
        made = chosen()
        if isinstance(made, TaskFuture):
            return made
    message = (
        "ifelse() takes a task (called with no arguments) or a zero-argument callable that calls one, "
        f"such as `lambda: load(rows)`, for each branch; got {chosen!r}"
    )
    raise FlowDefinitionError(message)


def ifelse(
    condition: Any,
    true_task: Task[..., Any] | Callable[[], Any] | TaskFuture[Any],
    false_task: Task[..., Any] | Callable[[], Any] | TaskFuture[Any],
) -> TaskFuture[Any]:
    """Run ``true_task`` if ``bool(condition)``, else ``false_task``; return the ``merge`` of both.

    Each branch is a task (called with no arguments), a zero-argument callable
    making the call (``lambda: load(rows)``), or an already made call, which
    then waits for the condition (it must not have been submitted yet).
    """
    futures = []
    for expected, chosen in ((True, true_task), (False, false_task)):
        with case(condition, expected, as_bool=True) as block:
            if isinstance(chosen, TaskFuture):
                assert block.condition is not None
                chosen.set_upstream(block.condition)
            futures.append(_branch(chosen))
    return merge(*futures)
