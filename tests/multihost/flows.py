"""The flows the multi-host tests run with ``daskflow run``, unchanged on every cluster.

None of them names an executor: the default ``DaskExecutor()`` starts the
embedded LocalCluster, or connects to ``DASKFLOW_ADDRESS`` when it is set,
so only the environment says where a flow runs. Tasks that the tests must
watch leave marker files in ``folder`` (a directory every host sees).
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path

from orchestrator import flow, get_run_logger, task


@task
def extract(n: int) -> list[int]:
    get_run_logger().info("extracting %d rows", n)
    return list(range(n))


@task
def transform(row: int) -> int:
    get_run_logger().info("row %d", row)
    return row * row


@task
def load(rows: list[int]) -> int:
    get_run_logger().info("loading %d rows", len(rows))
    return sum(rows)


@flow
def pipeline(n: int = 12) -> int:
    """The ETL shape: one extract, a map over its rows, one load."""
    rows = extract(n)
    return load(transform.map(rows))


def _where() -> str:
    from distributed import get_worker

    return get_worker().name.replace("/", "_")


@task
def step(i: int, folder: str, seconds: float) -> int:
    """Marks where it started, takes ``seconds``, marks that it finished."""
    Path(folder, f"started-{i}-{_where()}").touch()
    threading.Event().wait(seconds)
    Path(folder, f"finished-{i}-{_where()}").touch()
    return i * 3


@task
def combine(values: list[int]) -> int:
    return sum(values)


@flow
def steps(n: int = 24, folder: str = ".", seconds: float = 0.5) -> int:
    """``n`` steps of ``seconds`` each spread over the workers, then their sum: long enough to fault mid-run."""
    return combine([step(i, folder, seconds) for i in range(n)])


@task
def hold(i: int, folder: str) -> int:
    """Runs until ``folder/release`` appears."""
    Path(folder, f"started-{i}-{_where()}").touch()
    while not Path(folder, "release").exists():
        threading.Event().wait(0.05)
    return i


@flow
def held(n: int = 3, folder: str = ".") -> int:
    """``n`` tasks that block until released, then their sum: the run is mid-flight for as long as a test wants."""
    return combine([hold(i, folder) for i in range(n)])


@task(persist_result=True)
def prepare(i: int, folder: str) -> int:
    """Leaves one ``prepared-I-*`` file per run of its body; persisted, so a resumed run reuses it."""
    Path(folder, f"prepared-{i}-{uuid.uuid4().hex}").touch()
    return i + 1


@flow
def prepared_then_held(n: int = 3, folder: str = ".") -> int:
    """``n`` persisted steps, then ``n`` tasks on their results that block until released, then the sum."""
    return combine([hold(prepare(i, folder), folder) for i in range(n)])


@task(resources={"victim": 1})
def produce(i: int) -> int:
    return i * 10


@task(resources={"other": 1})
def double(x: int) -> int:
    return 2 * x


@task(resources={"other": 1})
def finish(values: list[int], folder: str) -> int:
    Path(folder, "finish-started").touch()
    return sum(values)


@flow
def lost_batch(n: int = 6, folder: str = ".") -> list[int]:
    """Parts on the 'victim' worker, doubled on the 'other' one; the last part (run last) is also returned."""
    parts = [produce(i) for i in range(n - 1)]
    last = produce.with_options(priority=-10)(n - 1)
    return [last, finish([double(p) for p in [*parts, last]], folder)]
