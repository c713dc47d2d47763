"""``to_dask(flow, **params)``: a flow as a plain Dask graph whose keys hold values.

``flow.compile()`` gives the graph daskflow itself submits: every key holds
the task's ``State``, because downstream triggers need states. Plain Dask
users want values, so ``to_dask`` renames each of those nodes to
``"<key>~state"`` and puts a tiny node under the original key that unwraps
the state: the value, ``None`` for a Skipped task (as in a flow's return
value), or the task's own exception raised, so a failure propagates the Dask
way. Tasks still run through the state layer,
so retries, timeouts, triggers, conditions and hooks behave as in a flow run;
state events simply go nowhere. The body's return value gets a key of its
own, ``DaskGraph.result_key``.

``DaskGraph`` is also a Dask collection, so ``dask.compute(graph)`` returns
the flow's return value on whatever scheduler is active.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dask.task_spec import DataNode, Task, TaskRef

from ..engine.graph import build_template
from ..engine.run_engine import RunEngine
from ..records.states import State
from ..worker.state_layer import fill_template, run_task

if TYPE_CHECKING:
    from .flows import Flow

__all__ = ["DaskGraph", "to_dask"]

STATE_SUFFIX = "~state"


def _value(state: State) -> Any:
    # Skipped is an outcome, not an error: None, as in a flow's return value.
    return None if state.is_skipped else state.result()


def _assemble(template: Any, *values: Any) -> Any:
    return fill_template(template, list(values))


class DaskGraph:
    """A flow's graph for plain Dask: ``graph`` (key -> node), ``keys`` (one per task call), ``result_key``."""

    def __init__(self, graph: dict[str, Any], keys: list[str], names: dict[str, str], result_key: str) -> None:
        self.graph = graph
        self.keys = keys
        #: Each task key's task-run name (``"transform[3]"``).
        self.names = names
        self.result_key = result_key

    def key_of(self, name: str) -> str:
        """The key of the task call whose task-run name is ``name``."""
        for key, known in self.names.items():
            if known == name:
                return key
        raise KeyError(f"no task call named {name!r}; the names are {sorted(set(self.names.values()))}")

    def __repr__(self) -> str:
        return f"<DaskGraph {len(self.keys)} task(s), result at {self.result_key!r}>"

    # -- the Dask collection protocol, so dask.compute() works ----------------

    def __dask_graph__(self) -> dict[str, Any]:
        return self.graph

    def __dask_keys__(self) -> list[str]:
        return [self.result_key]

    def __dask_postcompute__(self) -> tuple[Callable[[Any], Any], tuple[()]]:
        return _first, ()

    def __dask_tokenize__(self) -> str:
        return self.result_key

    @staticmethod
    def __dask_optimize__(graph: Any, keys: Any, **kwargs: Any) -> Any:
        return graph

    @staticmethod
    def __dask_scheduler__(graph: Any, keys: Any, **kwargs: Any) -> Any:
        from dask.threaded import get  # Dask's default for collections without a scheduler

        return get(graph, keys, **kwargs)


def _first(results: Any) -> Any:
    return results[0]


def to_dask(flow: Flow[Any, Any], *args: Any, **kwargs: Any) -> DaskGraph:
    """Compile ``flow`` with these parameters into a ``DaskGraph`` that plain Dask can run.

    ``dask.get(g.graph, g.result_key)`` (or ``client.get(...)``) returns the
    flow's return value; ``g.graph[key]`` for any of ``g.keys`` the value of
    that task call. Like ``compile()``, this needs a flow whose graph does not
    depend on task values.
    """
    params = flow.parameters.validate(args, kwargs)
    engine = RunEngine(flow.name, params, None, compile_only=True)
    returned = engine.compile_body(lambda: flow.fn(**params))
    graph: dict[str, Any] = {}
    names: dict[str, str] = {}
    for key, node in engine.compiled.items():
        call, *refs = node.args
        state_key = key + STATE_SUFFIX
        graph[state_key] = Task(state_key, run_task, call, *(TaskRef(ref.key + STATE_SUFFIX) for ref in refs))
        graph[key] = Task(key, _value, TaskRef(state_key))
        names[key] = call.name
    result_key = f"{flow.name}-{engine.run.id}-result"
    template = build_template((returned,), {})
    if template.refs:
        refs = [TaskRef(future.key) for future in template.refs]
        graph[result_key] = Task(result_key, _assemble, template.args[0], *refs)
    else:
        graph[result_key] = DataNode(result_key, returned)
    return DaskGraph(graph, list(names), names, result_key)
