"""``DaskExecutor``: run graphs on any Dask cluster, embedded, remote or managed.

Which cluster, in order of precedence:

1. ``address=`` (``tcp://`` or ``tls://``, with ``security=``), else the
   ``DASKFLOW_ADDRESS`` environment variable, else Dask's own
   ``scheduler-address`` config (``DASK_SCHEDULER_ADDRESS``);
2. ``cluster=`` any Dask cluster manager object, or ``cluster_class=`` plus
   ``cluster_kwargs=`` (and optionally ``adapt=``) to create one. The class
   may be given as a dotted path (``"dask_jobqueue.SLURMCluster"``,
   ``"dask_kubernetes.operator.KubeCluster"``), imported when the executor
   starts, so a flow file names its cluster without importing the package;
3. otherwise an embedded ``LocalCluster`` sized to the machine, started once
   per process, shared by every run, and closed at exit. Its worker processes
   do not re-run the user's script (``executors.main_guard``), so a script
   that calls a flow without ``if __name__ == "__main__":`` works.

Clients are cached per address, so re-running a notebook cell reuses the open
connection. The first connection to an address (or to a cluster object's
scheduler) compares package versions with the scheduler and workers and warns
once if they differ (see ``executors.versions``). ``distributed`` is imported
only when an executor starts, which keeps ``import orchestrator`` light.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import events
from .base import Annotations, EventHandler, Executor, Graph, Handle, gather_items, whole_handles
from .errors import ExecutorError, SchedulerUnreachable
from .main_guard import skip_main_import

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DaskExecutor", "embedded_client"]

_log = logging.getLogger("daskflow.executors")
#: Seconds between the driver client's batched sends to the scheduler: Dask's 10 ms suits clients
#: that send a stream of small messages; a driver sends a graph per flush and wants it gone at once.
#: Dask's own streams from the scheduler and from workers use 2 ms.
DRIVER_BATCH_INTERVAL = 0.002
_LOCK = threading.RLock()
_CLIENTS: dict[tuple[str, int], Client] = {}
_EMBEDDED: dict[str, Any] = {}
#: Scheduler addresses whose versions were compared with ours (once per address and process).
_CHECKED: set[str] = set()


class DaskExecutor(Executor):
    """Runs graphs on a Dask cluster; see the module docstring for how the cluster is chosen.

    ``worker_saturation`` sets ``distributed.scheduler.worker-saturation`` on
    clusters this executor creates: the default (1.1) queues root tasks, which
    protects memory on real ETL; ``float("inf")`` speeds up floods of tiny tasks.
    """

    pickles_graph = True

    def __init__(
        self,
        address: str | None = None,
        cluster: Any = None,
        cluster_class: type[Any] | str | None = None,
        cluster_kwargs: Mapping[str, Any] | None = None,
        adapt: Mapping[str, Any] | None = None,
        client_kwargs: Mapping[str, Any] | None = None,
        security: Any = None,
        connect_timeout: float = 10.0,
        worker_saturation: float | None = None,
    ) -> None:
        if sum(x is not None for x in (address, cluster, cluster_class)) > 1:
            raise ValueError("DaskExecutor takes at most one of address=, cluster= and cluster_class=")
        if cluster_kwargs is not None and cluster_class is None:
            raise ValueError("DaskExecutor(cluster_kwargs=...) needs cluster_class= to create the cluster with")
        self.address = address
        self.cluster = cluster
        self.cluster_class = cluster_class
        self.cluster_kwargs = dict(cluster_kwargs or {})
        self.adapt = dict(adapt) if adapt is not None else None
        self.client_kwargs = dict(client_kwargs or {})
        self.security = security
        self.connect_timeout = connect_timeout
        self.worker_saturation = worker_saturation
        self._client: Client | None = None
        self._owned_cluster: Any = None
        self._by_address = False
        self._dashboard_links: dict[str, str | None] = {}

    # -- connecting ---------------------------------------------------------

    @property
    def client(self) -> Client:
        self.start()
        assert self._client is not None
        return self._client

    @property
    def connected(self) -> bool:
        client = self._client
        return client is None or client.status == "running"

    @property
    def scheduler_address(self) -> str | None:
        client = self._client
        if client is None:
            return None
        address = getattr(client.scheduler, "address", None)
        return str(address) if address else None

    @property
    def dashboard_link(self) -> str | None:
        client = self._client
        if client is None:
            return None
        # Asked once per client: without a cluster object, Client.dashboard_link asks the scheduler,
        # a round trip every flow run would pay; the link does not change while the client lives.
        if client.id not in self._dashboard_links:
            try:
                link = client.dashboard_link
            except Exception:  # noqa: BLE001 - a scheduler without a dashboard (--no-dashboard) has no link
                link = None
            self._dashboard_links[client.id] = str(link) if link else None
        return self._dashboard_links[client.id]

    @property
    def external_scheduler(self) -> bool:
        return self._client is not None and self._by_address

    def describe(self) -> str:
        if self._client is None:
            return "DaskExecutor(not started)"
        # The address the client dialled, known locally: asking the scheduler costs every run a round trip.
        return f"DaskExecutor({self.scheduler_address or '?'})"

    def start(self) -> None:
        if self._client is not None and self._client.status == "running":
            return
        with _LOCK:
            # Clusters started here spawn worker processes: they must not re-run the user's script.
            skip_main_import()
            address = self.address or os.environ.get("DASKFLOW_ADDRESS") or _dask_config_address()
            if self.cluster is not None:
                self._client = self._new_client(self.cluster)
            elif self.cluster_class is not None:
                cluster_class = _import_class(self.cluster_class)
                with _Saturation(self.worker_saturation):
                    self._owned_cluster = cluster_class(**self.cluster_kwargs)
                if self.adapt is not None:
                    self._owned_cluster.adapt(**self.adapt)
                self._client = self._new_client(self._owned_cluster)
            elif address:
                self._client = self._connect(address)
                self._by_address = True
            else:
                self._client = embedded_client(self.worker_saturation)
            _flush_events_on_close(self._client)

    def _new_client(self, target: Any) -> Client:
        from distributed import Client

        with _dask_version_warning_silenced():
            client = Client(target, set_as_default=False, **self.client_kwargs)
        _check_versions_once(client)
        return client

    def _connect(self, address: str) -> Client:
        from distributed import Client

        cache_key = (address, id(self.security) if self.security is not None else 0)
        cached = _CLIENTS.get(cache_key)
        if cached is not None and cached.status == "running":
            return cached
        kwargs: dict[str, Any] = {"set_as_default": False, "timeout": self.connect_timeout}
        if self.security is not None:
            kwargs["security"] = self.security
        kwargs.update(self.client_kwargs)
        try:
            with _dask_version_warning_silenced():
                client = Client(address, **kwargs)
        except (OSError, TimeoutError) as exc:
            raise SchedulerUnreachable(address, self.connect_timeout, f"{type(exc).__name__}: {exc}") from exc
        except ValueError as exc:
            raise ExecutorError(f"cannot connect to Dask scheduler address {address!r}: {exc}") from exc
        _CLIENTS[cache_key] = client
        _check_versions_once(client, address)
        return client

    def close(self) -> None:
        """Close a cluster this executor created; shared clients stay open for the next run."""
        if self._owned_cluster is not None:
            if self._client is not None:
                self._client.close()
            self._owned_cluster.close()
            self._owned_cluster = None
            self._client = None

    # -- running graphs -----------------------------------------------------

    @property
    def event_topic(self) -> str:
        return f"daskflow-{self.client.id}"

    def submit(self, graph: Graph, keys: Sequence[str], annotations: Annotations | None = None) -> list[Handle]:
        from dask.highlevelgraph import HighLevelGraph, MaterializedLayer

        # Always a HighLevelGraph: Client.get names a plain dict by tokenizing every task in
        # it (about 20-30 us each, on the driver), a HighLevelGraph by a random token.
        # Dask annotates by layer: one layer per distinct annotation set.
        groups: dict[Any, dict[str, Any]] = {}
        group_annotations: dict[Any, Mapping[str, Any] | None] = {}
        if not annotations:
            groups[None] = dict(graph)
        else:
            for key, node in graph.items():
                annotation = annotations.get(key)
                marker = _freeze(annotation) if annotation else None
                groups.setdefault(marker, {})[key] = node
                group_annotations[marker] = annotation
        layers = {
            f"layer-{i}": MaterializedLayer(layer, annotations=dict(group_annotations.get(m) or {}) or None)
            for i, (m, layer) in enumerate(groups.items())
        }
        dsk = HighLevelGraph(layers, {name: set() for name in layers})
        _shorten_batch_interval(self.client)
        futures = self.client.get(dsk, list(keys), sync=False)
        return list(futures)

    def wait(self, handles: Sequence[Handle], timeout: float | None = None) -> bool:
        from distributed.client import FuturesCancelledError, _wait

        if not handles:
            return True
        try:
            # distributed.wait() needs a default client; ours is deliberately not one.
            self.client.sync(_wait, whole_handles(handles), timeout=timeout)
        except TimeoutError:
            return False
        except FuturesCancelledError:
            pass  # cancelled counts as done: the caller reads each handle's outcome
        return True

    def gather(self, handles: Sequence[Handle]) -> list[Any]:
        return gather_items(handles, lambda wholes: list(self.client.gather(wholes)))

    def cancel(self, handles: Sequence[Handle]) -> None:
        # force=True also cancels the keys' dependents, and releases keys other clients want too.
        # A lost connection has cancelled every future already: never reconnect just to cancel.
        client = self._live_client()
        if handles and client is not None:
            client.cancel(whole_handles(handles), force=True)

    def flush_events(self) -> None:
        client = self._live_client()
        if client is not None and client.loop is not None:
            # Fire and forget, on the client's loop: a worker just lost must not keep the driver
            # waiting for a connect timeout. The events come the usual way, through the subscription.
            client.loop.add_callback(_ask_workers_to_flush, client)

    def parallelism(self) -> int | None:
        # One round trip; the engine asks only for a flush big enough to batch (a cluster scales).
        client = self._live_client()
        if client is None:
            return None
        return sum(client.nthreads().values()) or None

    def run_everywhere(self, fn: Callable[..., Any], *args: Any) -> dict[str, Any]:
        """Call ``fn(*args)`` in every worker process and wait; what each returned or raised, by address."""
        client = self._live_client()
        if client is None:
            return {}
        return dict(client.run(fn, *args, on_error="return"))

    def enable_slots(self) -> None:
        """Register the concurrency-slot plugin on the scheduler (idempotent: the first one stays)."""
        client = self.client
        with _LOCK:
            if client.id in _SLOTS:
                return
        from .slots_plugin import ConcurrencySlots

        client.register_plugin(ConcurrencySlots(), name=ConcurrencySlots.name)
        with _LOCK:
            _SLOTS.add(client.id)

    def slot_snapshot(self) -> dict[str, dict[str, Any]]:
        """The scheduler plugin's table; empty when no run with limits used this cluster yet."""
        from .slots_plugin import snapshot_on_scheduler

        return dict(self.client.run_on_scheduler(snapshot_on_scheduler))

    def peek(self, keys: Sequence[str], fn: Callable[[Any], Any]) -> dict[str, Any]:
        # Asked only when something went wrong (a worker lost with events it had not sent), so a
        # round trip per holding worker is fine. A key may be held by several: ask the first.
        client = self._live_client()
        if client is None or not keys:
            return {}
        by_worker: dict[str, list[str]] = {}
        for key, worker in client.run_on_scheduler(_first_holders, list(keys)):
            by_worker.setdefault(worker, []).append(key)
        found: dict[str, Any] = {}
        for worker, held in by_worker.items():
            answer = client.run(_peek_on_worker, held, fn, workers=[worker], on_error="return")
            values = answer.get(worker)
            if isinstance(values, dict):
                found.update(values)
        return found

    def finished_at(self, keys: Sequence[str]) -> dict[str, float]:
        # The scheduler's transition log (distributed.admin.low-level-log-length entries) says
        # when each key went from processing to memory, even after the key was released.
        client = self._live_client()
        if client is None or not keys:
            return {}
        return dict(client.run_on_scheduler(_finish_times, list(keys)))

    def _live_client(self) -> Client | None:
        client = self._client
        return client if client is not None and client.status == "running" else None

    def subscribe(self, topic: str, handler: EventHandler) -> None:
        def deliver(event: tuple[float, Any]) -> None:
            handler(event[1])

        self.client.subscribe_topic(topic, deliver)

    def unsubscribe(self, topic: str) -> None:
        client = self._client
        if client is not None and client.status == "running":
            client.unsubscribe_topic(topic)


def _shorten_batch_interval(client: Client) -> None:
    """Send the client's batched messages to the scheduler at most ``DRIVER_BATCH_INTERVAL`` apart.

    A client batches what it sends for 10 ms after each send, so a graph
    submitted just after the previous run released its keys waited up to
    10 ms before it left: most of a one-task run. The client's stream is a
    new one after a reconnect, hence the check on every submit.
    """
    comm = getattr(client, "scheduler_comm", None)
    if comm is not None and comm.interval > DRIVER_BATCH_INTERVAL:
        comm.interval = DRIVER_BATCH_INTERVAL


def _peek_on_worker(keys: Sequence[str], fn: Callable[[Any], Any], dask_worker: Any) -> dict[str, Any]:
    """On a worker: ``fn`` of each of ``keys`` it holds in memory (``DaskExecutor.peek``)."""
    data = dask_worker.data
    return {key: fn(data[key]) for key in keys if key in data}


def _first_holders(keys: Sequence[str], dask_scheduler: Any) -> list[tuple[str, str]]:
    """On the scheduler: (key, a worker holding it) for each of ``keys`` in memory somewhere."""
    tasks = dask_scheduler.tasks
    found = []
    for key in keys:
        ts = tasks.get(key)
        if ts is not None and ts.who_has:
            found.append((key, next(iter(ts.who_has)).address))
    return found


def _finish_times(keys: Sequence[str], dask_scheduler: Any) -> list[tuple[str, float]]:
    """On the scheduler: (key, when it last went processing -> memory) for ``keys`` its log remembers."""
    wanted = set(keys)
    return [
        (entry.key, entry.timestamp)
        for entry in dask_scheduler.transition_log
        if entry.key in wanted and entry.start == "processing" and entry.finish == "memory"
    ]


_FLUSHING: set[str] = set()
#: Client ids whose scheduler has the concurrency-slot plugin registered.
_SLOTS: set[str] = set()


async def _ask_workers_to_flush(client: Client) -> None:
    with contextlib.suppress(Exception):  # a worker gone or going: what it held is recovered elsewhere
        await client.run(events.flush_requested, on_error="ignore", asynchronous=True)


def _flush_events_on_close(client: Client) -> None:
    """Have every worker send its batched events when it closes (once per client).

    A worker batches task events for up to ``events.LINGER`` seconds; one that
    closes gracefully (scaled down, retired, restarted) within that time would
    otherwise take them along, and those task runs would count as unreported.
    """
    if client.id in _FLUSHING:
        return
    _FLUSHING.add(client.id)
    from .worker_plugin import FlushEventsOnClose

    try:
        client.register_plugin(FlushEventsOnClose(), name=FlushEventsOnClose.name)
    except Exception as exc:  # noqa: BLE001 - the run goes on; only a closing worker's last events are at risk
        _log.warning("could not install the event flush on the workers of %s: %s", client.id, exc)


def close_clients(address: str | None = None) -> None:
    """Close the clients kept open per scheduler address (of ``address`` only, if given).

    A later ``DaskExecutor`` for that address connects afresh. Call it before
    stopping a scheduler on purpose, so no client keeps trying to reconnect.
    """
    with _LOCK:
        keys = [k for k in _CLIENTS if address is None or k[0] == address]
        clients = [_CLIENTS.pop(k) for k in keys]
    for client in clients:
        client.close()


def _import_class(spec: type[Any] | str) -> Any:
    """``spec`` itself, or the class a dotted path (``package.module.Class`` or ``package.module:Class``) names."""
    if not isinstance(spec, str):
        return spec
    import importlib

    module_name, sep, attribute = spec.partition(":") if ":" in spec else spec.rpartition(".")
    if not sep or not module_name or not attribute:
        raise ExecutorError(f"cluster_class={spec!r} is not a dotted path like 'dask_jobqueue.SLURMCluster'")
    try:
        with _sigint_kept():
            module = importlib.import_module(module_name)
    except ImportError as exc:
        package = module_name.split(".")[0].replace("_", "-")
        message = f"cluster_class={spec!r}: cannot import {module_name!r} ({exc}); install it (pip install {package})"
        raise ExecutorError(message) from exc
    found = getattr(module, attribute, None)
    if not callable(found):
        raise ExecutorError(f"cluster_class={spec!r}: {module_name!r} has no class {attribute!r}")
    return found


@contextlib.contextmanager
def _sigint_kept() -> Iterator[None]:
    """Undo a Ctrl-C handler an import installs: ``dask_jobqueue`` sets one that calls ``sys.exit()``,
    which would turn an interrupted run's KeyboardInterrupt (and so its Cancelled record) into an exit."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handler = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        if signal.getsignal(signal.SIGINT) is not handler and handler is not None:
            signal.signal(signal.SIGINT, handler)


def _dask_config_address() -> str | None:
    import dask

    address = dask.config.get("scheduler-address", None) or dask.config.get("scheduler_address", None)
    return str(address) if address else None


@contextlib.contextmanager
def _dask_version_warning_silenced() -> Iterator[None]:
    """Dask warns of some mismatches at connect; ``_check_versions_once`` warns of all of them, once."""
    from distributed.versions import VersionMismatchWarning as DaskVersionMismatch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DaskVersionMismatch)
        yield


def _check_versions_once(client: Client, address: str | None = None) -> None:
    """Warn once per scheduler address if the cluster's package versions differ from ours."""
    from .versions import VersionMismatchWarning, mismatch_lines, mismatch_message, package_versions, remote_versions

    address = address or str(getattr(client.scheduler, "address", "") or client.id)
    with _LOCK:
        if address in _CHECKED:
            return
        _CHECKED.add(address)
    try:
        lines = mismatch_lines(package_versions(), remote_versions(client))
    except Exception as exc:  # noqa: BLE001 - a failed check must never fail the connection
        _log.info("could not compare package versions with %s: %s", address, exc)
        return
    if lines:
        warnings.warn(mismatch_message(address, lines), VersionMismatchWarning, stacklevel=2)


def _freeze(annotation: Mapping[str, Any]) -> Any:
    return tuple(sorted((k, repr(v)) for k, v in annotation.items()))


class _Saturation:
    """Set worker-saturation while a scheduler is created (it reads the value once, at start)."""

    def __init__(self, value: float | None) -> None:
        self.value = value
        self._ctx: Any = None

    def __enter__(self) -> None:
        if self.value is not None:
            import dask

            self._ctx = dask.config.set({"distributed.scheduler.worker-saturation": self.value})
            self._ctx.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self._ctx is not None:
            self._ctx.__exit__(*exc)


def embedded_client(worker_saturation: float | None = None) -> Client:
    """The process-wide embedded ``LocalCluster`` client, started on first use."""
    with _LOCK:
        client = _EMBEDDED.get("client")
        if client is not None and client.status == "running":
            return client  # type: ignore[no-any-return]
        from distributed import Client, LocalCluster

        with _Saturation(worker_saturation), warnings.catch_warnings():
            # A busy default dashboard port only moves the dashboard; say nothing.
            warnings.simplefilter("ignore", UserWarning)
            cluster = LocalCluster(host="127.0.0.1", dashboard_address="127.0.0.1:0")
        client = Client(cluster, set_as_default=False)
        _EMBEDDED.update(cluster=cluster, client=client)
        atexit.register(_close_embedded)
        return client


def _close_embedded() -> None:
    client, cluster = _EMBEDDED.pop("client", None), _EMBEDDED.pop("cluster", None)
    if client is not None:
        client.close()
    if cluster is not None:
        cluster.close()
