"""Shipping the user's own modules to workers that lack them: the default rule and ``ship_modules=``.

The cluster tests write a helper module to a temporary directory that only
this process has on ``sys.path``; the worker process runs elsewhere, so the
module reaches it by value or not at all.
"""

from __future__ import annotations

import pickle
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import cloudpickle
import pytest

from executors import DaskExecutor, LocalExecutor
from orchestrator import FlowDefinitionError, flow, task
from orchestrator.engine import shipping
from orchestrator.engine.graph import build_template
from orchestrator.worker.shipped import Shipped
from tests.processes import DaskProcesses

HELPER = """
import dataclasses
{imports}

@dataclasses.dataclass
class Point:
    x: float
    y: float

def norm(p):
    return (p.x ** 2 + p.y ** 2) ** 0.5 {extra}
"""


def _write_module(folder: Path, monkeypatch: pytest.MonkeyPatch, imports: str = "", extra: str = "") -> ModuleType:
    """A fresh uniquely named module in ``folder``, imported here (and only here)."""
    name = f"helpers_{uuid.uuid4().hex[:8]}"
    (folder / f"{name}.py").write_text(HELPER.format(imports=imports, extra=extra))
    monkeypatch.syspath_prepend(str(folder))
    module = __import__(name)
    monkeypatch.setitem(sys.modules, name, module)
    return module


def test_ship_modules_rejects_what_is_not_a_module() -> None:
    """ship_modules= takes modules; a name string is a TypeError that names the parameter."""
    with pytest.raises(TypeError, match=r"ship_modules takes imported modules.*got str 'nb_helpers'"):

        @flow(ship_modules=["nb_helpers"])
        def named() -> None: ...

    with pytest.raises(FlowDefinitionError, match="ship_modules"):

        @flow(ship_modules=42)
        def number() -> None: ...


def test_ship_modules_accepts_one_module_or_a_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A single module or a list of them becomes a tuple option, also through with_options."""
    module = _write_module(tmp_path, monkeypatch)

    @flow(ship_modules=module)
    def one() -> None: ...

    assert one.options.ship_modules == (module,)
    assert one.with_options(ship_modules=[module, pickle]).options.ship_modules == (module, pickle)


def test_a_run_with_ship_modules_registers_them_by_value(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Running a flow with ship_modules= makes cloudpickle pickle those modules by value."""
    module = _write_module(tmp_path, monkeypatch)

    @flow(ship_modules=[module], executor=LocalExecutor())
    def nothing() -> int:
        return 1

    assert nothing() == 1
    assert module.__name__ in cloudpickle.list_registry_pickle_by_value()


def test_modules_a_task_reaches_are_shipped_transitively(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A local module used by a task, and the local module that one uses, are both registered by value."""
    inner = _write_module(tmp_path, monkeypatch)
    outer = _write_module(
        tmp_path,
        monkeypatch,
        imports=f"import {inner.__name__} as inner",
        extra="\n\ndef far(x):\n    return inner.norm(x)\n",
    )

    def uses(p: Any) -> float:
        return float(outer.far(p))

    shipping.ship_referenced_modules(uses)
    registered = cloudpickle.list_registry_pickle_by_value()
    assert outer.__name__ in registered and inner.__name__ in registered
    shipping.ship_referenced_modules(pickle.dumps)  # installed code: nothing to do
    assert "pickle" not in cloudpickle.list_registry_pickle_by_value()


def test_arguments_from_local_modules_are_wrapped_to_ship_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task argument from a local module becomes Shipped (also inside lists); plain values stay as they are."""
    module = _write_module(tmp_path, monkeypatch)
    point = module.Point(3, 4)
    template = build_template((point, [point, 1], "text"), {"k": 2.5})
    first, listed, text = template.args
    assert isinstance(first, Shipped) and first.value is point
    assert template.fill and text == "text" and template.kwargs == {"k": 2.5}
    restored = pickle.loads(pickle.dumps(first))
    assert isinstance(restored, Shipped) and restored.value == point
    assert isinstance(listed.value[0], Shipped) and listed.value[1] == 1


def test_a_shipped_argument_stays_bytes_where_it_is_unpickled_until_asked(tmp_path: Path) -> None:
    """Unpickling a Shipped (as the scheduler does with the graph) needs nothing of its module."""
    import subprocess

    payload = pickle.dumps(Shipped(_Unimportable(7)))
    code = f"import pickle, sys\nshipped = pickle.loads({payload!r})\nprint(repr(shipped))\nprint(shipped.value.n)\n"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert result.stdout.splitlines() == ["Shipped(<not loaded>)", "7"]


class _Unimportable:
    """Pickled by value below (as if its module were shipped), so the subprocess needs no import."""

    def __init__(self, n: int) -> None:
        self.n = n


cloudpickle.register_pickle_by_value(sys.modules[__name__])


@pytest.fixture
def worker_elsewhere(tmp_path: Path) -> Iterator[str]:
    """A scheduler and one 2-thread worker, as processes in a directory that holds none of the helpers."""
    workdir = tmp_path / "cluster"
    workdir.mkdir()
    processes = DaskProcesses(workdir, workdir / "cluster.log")
    try:
        processes.start_cluster(workers=1, nthreads=2)
        yield processes.address
    finally:
        processes.close()


@pytest.mark.cluster
def test_local_helper_module_ships_by_default(
    worker_elsewhere: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module outside site-packages reaches the worker by value: its functions, and its objects as arguments."""
    helpers = _write_module(tmp_path, monkeypatch)

    @task
    def measure(p: Any) -> float:
        return float(helpers.norm(p))

    @task
    def make(x: float) -> Any:
        return helpers.Point(x, x)

    @flow(executor=DaskExecutor(address=worker_elsewhere, connect_timeout=60))
    def shapes() -> tuple[float, Any]:
        return measure(helpers.Point(3, 4)), make(2.0)

    length, point = shapes()
    assert length == 5.0
    assert type(point) is helpers.Point and point == helpers.Point(2.0, 2.0)


@pytest.mark.cluster
def test_ship_modules_sends_a_module_installed_here_but_not_on_the_workers(
    worker_elsewhere: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module the default rule leaves alone (installed here) fails on the worker, and ships with ship_modules=."""
    installed = tmp_path / "site"
    installed.mkdir()
    helpers = _write_module(installed, monkeypatch)
    roots = (*shipping._installed_roots(), str(installed.resolve()) + "/")
    monkeypatch.setattr(shipping, "_INSTALLED_ROOTS", roots)  # as if pip-installed in this environment

    @task
    def measure(x: float) -> float:
        return float(helpers.norm(helpers.Point(x, 0.0)))

    executor = DaskExecutor(address=worker_elsewhere, connect_timeout=60)

    @flow(executor=executor)
    def by_name() -> float:
        return measure(2.0)

    missing = by_name.run()
    assert not missing.is_completed
    assert f"No module named '{helpers.__name__}'" in str(missing.by_name("measure").error)

    assert by_name.with_options(ship_modules=[helpers])() == 2.0
