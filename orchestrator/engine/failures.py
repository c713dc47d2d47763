"""Reading why Dask ended a key without a value, and failing calls that cannot be pickled.

The engine asks these questions when a run ends or a submission fails:

* ``failure_of(handle)``: the error Dask ended a handle with, or the reason
  it was cancelled (a lost scheduler cancels every future);
* ``is_connection_loss(exc)``: whether that error means the client lost its
  scheduler, which makes the run Crashed rather than Failed;
* ``replace_unpicklable(graph, ...)``: when a graph does not pickle, swap
  each call that cannot for one that reports Failed, naming the culprit.
"""

from __future__ import annotations

from typing import Any

from executors import Handle

from ..worker.serialization import unpicklable_reason
from ..worker.shipped import Shipped
from ..worker.state_layer import fail_unpicklable

__all__ = ["failure_of", "is_connection_loss", "lost_scheduler", "replace_unpicklable"]


def replace_unpicklable(graph: dict[str, Any], topic: str, run_id: str) -> bool:
    """Swap every node whose call cannot be pickled for one that reports Failed; True if any."""
    from dask.task_spec import Task as DaskTask

    replaced = False
    for key, node in graph.items():
        call, *refs = node.args
        if unpicklable_reason(call) is None:
            continue
        task = call.spec.load()[0]
        what, culprit = "function", task.fn
        for position, value in [*enumerate(call.args), *call.kwargs.items()]:
            if unpicklable_reason(value) is not None:
                what, culprit = f"argument {position!r}", value.value if isinstance(value, Shipped) else value
                break
        reason = unpicklable_reason(culprit) or "cannot be pickled"
        graph[key] = DaskTask(
            key,
            fail_unpicklable,
            topic,
            run_id,
            task.name,
            key,
            call.name,
            what,
            type(culprit).__qualname__,
            reason,
            *refs,
        )
        replaced = True
    return replaced


def failure_of(handle: Handle) -> BaseException | None:
    """Why Dask ended a handle without a value: its error, or the reason it was cancelled."""
    error = handle.exception()
    if error is None and handle.done() and getattr(handle, "cancelled", lambda: False)():
        try:
            handle.result()
        except BaseException as exc:  # noqa: BLE001 - a cancelled future raises its cancellation reason
            return exc
    return error


def is_connection_loss(exc: BaseException) -> bool:
    """Whether ``exc`` says the client lost its Dask scheduler (not a task's own error)."""
    if getattr(exc, "reason", None) == "scheduler-connection-lost":  # distributed's FutureCancelledError
        return True
    return type(exc).__name__ == "CommClosedError"


def lost_scheduler(exc: BaseException) -> str:
    """The run's message when its scheduler connection was lost."""
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
    return (
        f"lost the connection to the Dask scheduler during the run ({detail}); its unfinished task runs are "
        "Crashed. Check that the scheduler is running and reachable, then run the flow again"
    )
