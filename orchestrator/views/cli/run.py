"""``daskflow run PATH:FLOW`` and ``daskflow demo``: run a flow here, with live progress and a summary.

Parameters arrive as ``--param key=value`` strings. A value for a ``str``
parameter is passed as written; any other value is read as JSON when it parses
(``3``, ``true``, ``[1, 2]``) and as the string otherwise, and pydantic then
validates and coerces it against the flow's signature, before anything runs.

``--resume RUN_ID`` starts a new run that reuses the old run's persisted
results (``Flow.run(resume=...)``), with the old run's parameters unless
``--param`` changes some. ``PATH:FLOW`` may then be left out: every run this
command starts records its target in the store.

``--params JSON`` gives them all as one JSON object (what the dashboard's
re-run passes); a ``--param`` of the same name wins.

When a dashboard serves the same run store (``views.dashboard.discovery``),
the run's link on it is printed as the run starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import typing
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ...engine.observers import add_run_observer
from ...history.recorder import open_history_store, recording_enabled
from ...history.store import AmbiguousRunIdError, StoreError, default_store_path
from ...records.errors import FlowDefinitionError, OrchestratorError
from ..dashboard.discovery import run_link
from .progress import PlainDisplay, Progress, RichDisplay, summary_lines
from .usage import UsageError

if TYPE_CHECKING:
    from executors import Executor

    from ...authoring.flows import Flow
    from ...engine.run_engine import RunEngine
    from ...records.runs import FlowRun

__all__ = ["add_flow_arguments", "add_parsers", "check_params", "load_target", "make_executor", "run_flow"]


def add_parsers(commands: Any) -> None:
    run = commands.add_parser("run", help="run a flow from a file or module, with live progress")
    add_flow_arguments(run, target_optional=True)
    run.add_argument(
        "--resume",
        metavar="RUN_ID",
        help="a new run reusing that run's persisted results; reruns what failed or changed (PATH:FLOW optional)",
    )
    run.set_defaults(handler=_run)
    demo = commands.add_parser("demo", help="run the ~1,000-task ETL example on the embedded LocalCluster")
    demo.set_defaults(handler=_demo)


def add_flow_arguments(parser: argparse.ArgumentParser, target_optional: bool = False) -> None:
    """PATH:FLOW, --param, --address and --executor: what ``run`` and ``bench`` share."""
    parser.add_argument(
        "target",
        metavar="PATH:FLOW",
        nargs="?" if target_optional else None,
        help="the flow, like examples/etl.py:etl or package.module:flow",
    )
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a flow parameter (repeat)")
    parser.add_argument(
        "--params", metavar="JSON", help='parameters as one JSON object, like \'{"day": "2026-11-21"}\' (--param wins)'
    )
    parser.add_argument("--address", help="a running Dask scheduler, like tcp://127.0.0.1:8786 (implies dask)")
    parser.add_argument("--executor", choices=("local", "dask"), help="local threads, or Dask (default: the flow's)")


def load_target(args: argparse.Namespace) -> tuple[Flow[Any, Any], dict[str, Any]]:
    """The flow and its parsed (not yet validated) parameters; ``UsageError`` for bad input."""
    from ...authoring.loader import load_flow

    if args.address and args.executor == "local":
        raise UsageError("--address needs the dask executor; drop --executor local")
    try:
        flow = load_flow(args.target)
    except FlowDefinitionError as exc:
        raise UsageError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - the user's module failed to import: a bad target
        raise UsageError(f"flow {args.target!r}: importing it raised {type(exc).__name__}: {exc}") from None
    return flow, {**_json_params(args.params), **dict(_parse_param(flow, item) for item in args.param)}


def _json_params(raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        params = json.loads(raw)
    except ValueError as exc:
        raise UsageError(f"bad --params {raw[:80]!r}: not JSON ({exc})") from None
    if not isinstance(params, dict):
        raise UsageError(f'bad --params {raw[:80]!r}: expected a JSON object, like {{"day": "2026-11-21"}}')
    return params


def _run(args: argparse.Namespace) -> int:
    previous: dict[str, Any] = {}
    if args.resume is not None:
        args.target, previous = _resumed(args.resume, args.target)
    elif args.target is None:
        raise UsageError("give the flow to run as PATH:FLOW, like examples/etl.py:etl (or --resume RUN_ID)")
    flow, params = load_target(args)
    return run_flow(flow, {**previous, **params}, make_executor(args), resume=args.resume, target=args.target)


def _resumed(run_id: str, target: str | None) -> tuple[str, dict[str, Any]]:
    """The target to resume ``run_id`` with (given, or as recorded) and the old run's parameters."""
    store = open_history_store()
    try:
        old = store.get_flow_run(run_id)
    except AmbiguousRunIdError as exc:
        raise UsageError(str(exc)) from None
    if old is None:
        raise UsageError(f"no flow run {run_id!r} in {default_store_path()}; list them with 'daskflow runs ls'")
    if target is None:
        origin = store.results.origin(old.run_id)
        if origin is None or origin.target is None:
            message = (
                f"flow run {old.run_id} was not started by 'daskflow run', so its flow is not recorded; "
                f"give it: daskflow run PATH:FLOW --resume {old.run_id}"
            )
            raise UsageError(message)
        target = origin.target
    return target, dict(old.parameters)


def _absolute(target: str) -> str:
    """A ``PATH:FLOW`` target that works from any directory (a module target as it is)."""
    location, _, name = target.rpartition(":")
    if location.endswith(".py") or "/" in location:
        return f"{Path(location).resolve()}:{name}"
    return target


def _demo(args: argparse.Namespace) -> int:
    from ...authoring.loader import load_flow

    path = Path(__file__).resolve().parents[3] / "examples" / "etl.py"
    if not path.exists():
        raise UsageError(f"the demo needs {path}; install from a source checkout (pip install -e .)")
    return run_flow(load_flow(f"{path}:etl"), {}, None)


def make_executor(args: argparse.Namespace) -> Executor | None:
    """The executor ``--address`` / ``--executor`` ask for; None leaves the flow's own."""
    if args.address or args.executor == "dask":
        from executors import DaskExecutor

        return DaskExecutor(address=args.address)
    if args.executor == "local":
        from executors import LocalExecutor

        return LocalExecutor(threads=max(os.cpu_count() or 1, 2))
    return None


def _parse_param(flow: Flow[Any, Any], item: str) -> tuple[str, Any]:
    key, sep, raw = item.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"bad --param {item!r}: expected KEY=VALUE, like --param day=2026-11-21")
    try:
        hint = typing.get_type_hints(flow.fn).get(key)
    except Exception:  # noqa: BLE001 - unresolvable hints: treat the value like an untyped one
        hint = None
    if hint is str:
        return key, raw
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def run_flow(
    flow: Flow[Any, Any],
    params: dict[str, Any],
    executor: Executor | None,
    resume: str | None = None,
    target: str | None = None,
) -> int:
    """Validate, run with a progress display, print the summary; the exit code."""
    check_params(flow, params)
    displays: list[PlainDisplay | RichDisplay] = []
    links: list[str] = []

    def show(engine: RunEngine) -> None:
        if target is not None and recording_enabled():
            _record_target(engine.run.id, _absolute(target))
        link = run_link(engine.run.id) if recording_enabled() else None
        if link is not None:
            links.append(link)
            print(f"dashboard: {link}", flush=True)
        progress = Progress(engine)
        engine.listeners.append(progress.on_event)
        display = RichDisplay(progress) if _fancy() else PlainDisplay(progress)
        display.start()
        displays.append(display)

    started = time.perf_counter()
    try:
        with add_run_observer(show):
            run: FlowRun = flow.run(executor=executor, resume=resume, **params)
    except KeyboardInterrupt:
        _stop(displays)
        print("daskflow: interrupted; the flow run is recorded as Cancelled", file=sys.stderr)
        return 130
    except OrchestratorError as exc:
        _stop(displays)
        print(f"daskflow: {exc}", file=sys.stderr)
        return 1
    _stop(displays)
    store = str(default_store_path()) if recording_enabled() else None
    for line in summary_lines(run, time.perf_counter() - started, store):
        print(line)
    for problem in run.recording_problems:  # the run's outcome stands; its record is what failed
        print(f"daskflow: warning: the run store did not record flow run {run.id} fully: {problem}", file=sys.stderr)
    for link in links:
        print(f"dashboard: {link}")
    if run.is_completed:
        print(f"result: {_short(run.value)}")
        return 0
    return 1


def _record_target(run_id: str, target: str) -> None:
    """Note what this run ran, so ``--resume`` can run it again without being told."""
    try:
        open_history_store().results.record_origin(run_id, target=target)
    except StoreError as exc:
        print(f"daskflow: could not record the flow of run {run_id}: {exc}", file=sys.stderr)


def check_params(flow: Flow[Any, Any], params: dict[str, Any]) -> None:
    """Validate ``params`` against the flow's signature before anything runs; ``UsageError`` if bad."""
    try:
        flow.parameters.validate((), params)
    except FlowDefinitionError as exc:
        raise UsageError(str(exc)) from None
    except ValueError as exc:  # pydantic's ValidationError
        raise UsageError(f"bad parameters for flow {flow.name!r}: {_first_error(exc)}") from None


def _stop(displays: list[PlainDisplay | RichDisplay]) -> None:
    for display in displays:
        display.stop()


def _fancy() -> bool:
    """Rich output only on a real terminal that is not declared dumb."""
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc).splitlines()[0]
    found = errors()
    if not found:
        return str(exc).splitlines()[0]
    first = found[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "parameters"
    more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
    return f"{where}: {first.get('msg')} (got {first.get('input')!r}){more}"


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
