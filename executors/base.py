"""What every executor offers: submit a plain Dask graph, get handles back, hear events.

An executor receives a mapping of keys to ``dask.task_spec`` nodes plus the
keys the caller wants handles for, and nothing else: flows, tasks and states
are invisible here. The contract, checked by one conformance suite:

* ``submit`` sends one whole graph at once (one scheduler round trip for Dask).
  Nodes may reference keys of earlier submissions through the handles of those
  keys, because every ``Handle`` is itself a ``TaskRef``.
* Holding a handle keeps its key's result alive; dropping every handle (and
  every pending dependent) lets the executor free it.
* ``subscribe(topic, handler)`` delivers what tasks pass to
  ``executors.events.sink(topic)``, in the order each worker emitted it: one
  event, or a list of them. Local executors deliver before the emitting
  task's handle reports done; Dask workers batch, so an event may come up to
  ``events.LINGER`` seconds after, or sooner when asked with ``flush_events``.
* A handle may be an ``ItemHandle``: one item of the tuple a submitted key
  returns (the engine batches sibling calls into one key). It waits, fails
  and cancels with its key, and every executor method takes it like any
  handle; as a ``TaskRef`` it names the whole key, so a node of a later
  submission that references it must pick its item itself.
* ``enable_slots`` makes tag concurrency slots (``executors.slots``)
  enforceable for the tasks it runs: nothing to do in-process, the scheduler
  plugin on Dask; ``slot_snapshot`` shows who holds and who waits.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from dask.task_spec import GraphNode, TaskRef

__all__ = ["Annotations", "EventHandler", "Executor", "Graph", "Handle", "ItemHandle", "gather_items", "whole_handles"]

Graph = Mapping[str, GraphNode]
#: Per-key Dask annotations (``priority``, ``resources``, ``workers``); absent keys have none.
Annotations = Mapping[str, Mapping[str, Any]]
EventHandler = Callable[[Any], None]


@runtime_checkable
class Handle(Protocol):
    """A submitted key: wait for it, fetch its value, or cancel it. Also a ``TaskRef``."""

    key: Any

    def result(self, timeout: float | None = None) -> Any: ...

    def done(self) -> bool: ...

    def exception(self, timeout: float | None = None) -> BaseException | None: ...

    def cancel(self) -> Any: ...


class ItemHandle(TaskRef):
    """Item ``index`` of the tuple that ``whole``'s key returns: waits, fails and cancels with ``whole``."""

    __slots__ = ("index", "whole")

    def __init__(self, whole: Handle, index: int) -> None:
        super().__init__(whole.key)
        self.whole = whole
        self.index = index

    def result(self, timeout: float | None = None) -> Any:
        return self.whole.result(timeout)[self.index]

    def done(self) -> bool:
        return self.whole.done()

    def exception(self, timeout: float | None = None) -> BaseException | None:
        return self.whole.exception(timeout)

    def cancelled(self) -> bool:
        return bool(getattr(self.whole, "cancelled", lambda: False)())

    def cancel(self) -> Any:
        return self.whole.cancel()

    def __reduce__(self) -> tuple[Any, ...]:
        # Shipped, it is what it references on the cluster: the whole key.
        return (TaskRef, (self.key,))

    def __repr__(self) -> str:
        return f"ItemHandle({self.key!r}[{self.index}])"


def whole_handles(handles: Sequence[Handle]) -> list[Handle]:
    """``handles`` with each ``ItemHandle`` replaced by the handle of its whole key, each once."""
    wholes: list[Handle] = []
    seen: set[int] = set()
    for handle in handles:
        whole = handle.whole if isinstance(handle, ItemHandle) else handle
        if id(whole) not in seen:
            seen.add(id(whole))
            wholes.append(whole)
    return wholes


def gather_items(handles: Sequence[Handle], gather: Callable[[list[Handle]], list[Any]]) -> list[Any]:
    """The values of ``handles``, fetching each whole key once with ``gather`` and picking items out."""
    wholes = whole_handles(handles)
    values = {id(w): v for w, v in zip(wholes, gather(wholes))}
    return [values[id(h.whole)][h.index] if isinstance(h, ItemHandle) else values[id(h)] for h in handles]


class Executor(abc.ABC):
    """Runs compiled Dask graphs. Subclasses: ``LocalExecutor``, ``DaskExecutor``."""

    #: Whether submitted graphs are pickled (so unpicklable arguments fail at submit).
    pickles_graph: bool = False

    @property
    @abc.abstractmethod
    def event_topic(self) -> str:
        """A topic name unique to this executor's connection, for tasks to emit events on."""

    @abc.abstractmethod
    def start(self) -> None:
        """Connect or start resources; idempotent, and cheap once started."""

    @abc.abstractmethod
    def submit(self, graph: Graph, keys: Sequence[str], annotations: Annotations | None = None) -> list[Handle]:
        """Send ``graph`` in one go and return handles for ``keys``, in that order."""

    @abc.abstractmethod
    def wait(self, handles: Sequence[Handle], timeout: float | None = None) -> bool:
        """Block until every handle is done (value or error); False if ``timeout`` passed first."""

    @abc.abstractmethod
    def gather(self, handles: Sequence[Handle]) -> list[Any]:
        """The values of finished handles, fetched in one go where the executor can."""

    @abc.abstractmethod
    def cancel(self, handles: Sequence[Handle]) -> None:
        """Stop what has not started of these keys (running code cannot be stopped)."""

    @abc.abstractmethod
    def subscribe(self, topic: str, handler: EventHandler) -> None:
        """Call ``handler(msg)`` for every event tasks emit on ``topic``; never block in it."""

    @abc.abstractmethod
    def unsubscribe(self, topic: str) -> None:
        """Stop delivering ``topic``."""

    def flush_events(self) -> None:  # noqa: B027 - local executors hold no events back
        """Ask whatever batches events to send what it holds now, without waiting for it.

        The driver asks when a task's handle is done but its final event has
        not come: a worker holding a batch for ``events.LINGER`` would
        otherwise delay the end of every short run.
        """

    def run_everywhere(self, fn: Callable[..., Any], *args: Any) -> dict[str, Any]:
        """Call ``fn(*args)`` in every process that runs this executor's tasks, wait, and return what each
        returned (or raised), by worker address.

        Local executors run tasks here, so this calls it once, in this process.
        Used to stop the task bodies of a cancelled run wherever they run, and
        to check that every worker sees the result storage.
        """
        try:
            return {"local": fn(*args)}
        except Exception as exc:  # noqa: BLE001 - reported like a Dask worker's error
            return {"local": exc}

    def enable_slots(self) -> None:  # noqa: B027 - local executors share the in-process limiter
        """Make tag concurrency slots enforceable for the tasks this executor runs (once per connection)."""

    def slot_snapshot(self) -> dict[str, dict[str, Any]]:
        """Per tag: its limit, and who holds and waits for its slots, for the tasks this executor runs."""
        from .slots import LOCAL_LIMITER

        return LOCAL_LIMITER.snapshot()

    def peek(self, keys: Sequence[str], fn: Callable[[Any], Any]) -> dict[str, Any]:
        """``fn(value)`` for each of ``keys`` whose value the executor still holds, computed where it is held.

        The value itself never travels, only what ``fn`` returns (``fn`` must
        pickle by reference for a cluster). Keys no longer held are left out.
        Local executors deliver every event before a handle is done, so they
        never need to look: the default holds nothing.
        """
        return {}

    def finished_at(self, keys: Sequence[str]) -> dict[str, float]:
        """When the executor saw each of ``keys`` finish (seconds since the epoch), for keys it remembers."""
        return {}

    def parallelism(self) -> int | None:
        """How many tasks this executor runs at once (its threads), or None if it cannot say."""
        return None

    def close(self) -> None:  # noqa: B027 - optional for executors that hold nothing
        """Release what ``start`` acquired."""

    def describe(self) -> str:
        return type(self).__name__

    @property
    def scheduler_address(self) -> str | None:
        """The address of the Dask scheduler that runs this executor's tasks (None: no scheduler)."""
        return None

    @property
    def dashboard_link(self) -> str | None:
        """The URL of that scheduler's dashboard, when it serves one."""
        return None

    @property
    def external_scheduler(self) -> bool:
        """Whether that scheduler was reached by address rather than started by this process,
        so that another process may connect to it too."""
        return False

    @property
    def connected(self) -> bool:
        """False once the executor lost what runs its tasks (a Dask client its scheduler)."""
        return True
