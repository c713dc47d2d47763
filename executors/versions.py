"""One clear warning when a Dask cluster runs other package versions than this client.

Graphs, functions and results are pickled between the client, the scheduler
and the workers. When Python, dask, distributed, cloudpickle or daskflow
differ between them, what follows is obscure: an unpickling error on the
scheduler, a missing attribute on a worker, a task that behaves differently.

So the first time a ``DaskExecutor`` connects to a scheduler address it asks
the scheduler (``run_on_scheduler``) and every connected worker (``run``) for
``package_versions()`` and emits a single ``VersionMismatchWarning`` that names
each package that differs, this client's version and the others'. Dask's own
check at connect (``distributed.versions.VersionMismatchWarning``) is silenced
around the connection, so the user reads one warning, not two. Versions are
what each process has loaded: ``platform.python_version()``, the
``__version__`` of dask, distributed and cloudpickle, and daskflow's installed
distribution. A process that cannot answer (daskflow is not installed there)
counts as a mismatch for daskflow. Workers that join later are not checked.
"""

from __future__ import annotations

import platform
from collections.abc import Mapping
from typing import Any

__all__ = [
    "PACKAGES",
    "VersionMismatchWarning",
    "mismatch_lines",
    "mismatch_message",
    "package_versions",
    "remote_versions",
]

#: What must agree across the client, the scheduler and the workers, in the order reported.
PACKAGES = ("python", "dask", "distributed", "cloudpickle", "daskflow")


class VersionMismatchWarning(UserWarning):
    """Warned once per scheduler address when the cluster's package versions differ from this client's.

    Install the same versions of the named packages on the client, the
    scheduler and the workers (one lock file or one container image for all).
    """


def package_versions() -> dict[str, str]:
    """This process's versions of ``PACKAGES``; runs on the client, the scheduler and each worker."""
    from importlib.metadata import PackageNotFoundError, version

    import cloudpickle
    import dask
    import distributed

    try:
        daskflow = version("daskflow")
    except PackageNotFoundError:
        daskflow = "not installed"
    return {
        "python": platform.python_version(),
        "dask": str(getattr(dask, "__version__", "unknown")),
        "distributed": str(getattr(distributed, "__version__", "unknown")),
        "cloudpickle": str(getattr(cloudpickle, "__version__", "unknown")),
        "daskflow": daskflow,
    }


#: Seconds the check waits for the scheduler and for the workers: a busy worker must not
#: stall connecting (the caller logs a check that timed out and carries on).
CHECK_TIMEOUT = 30.0


def remote_versions(client: Any) -> dict[str, Mapping[str, str] | BaseException]:
    """``{"scheduler": versions, worker_address: versions, ...}``; a process that failed maps to its error."""
    found: dict[str, Mapping[str, str] | BaseException] = {}
    try:
        found["scheduler"] = client.run_on_scheduler(package_versions, callback_timeout=CHECK_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - e.g. daskflow is missing there: reported, not raised
        found["scheduler"] = exc
    answers = client.run(package_versions, on_error="return", callback_timeout=CHECK_TIMEOUT)
    for address, answer in sorted(answers.items()):
        found[address] = answer
    return found


def mismatch_lines(here: Mapping[str, str], remote: Mapping[str, Mapping[str, str] | BaseException]) -> list[str]:
    """One line per package whose version differs somewhere, like ``cloudpickle: 3.1.2 here, 3.0.0 on worker X``."""
    workers = [name for name in remote if name != "scheduler"]
    lines = []
    for package in PACKAGES:
        mine = here.get(package, "unknown")
        where: dict[str, list[str]] = {}
        for name, answer in remote.items():
            if isinstance(answer, BaseException):
                theirs = f"unknown ({type(answer).__name__}: {answer})"
            else:
                theirs = answer.get(package, "unknown")
            if theirs != mine:
                where.setdefault(theirs, []).append(name)
        if not where:
            continue
        parts = [f"{theirs} on {_places(names, len(workers))}" for theirs, names in where.items()]
        lines.append(f"{package}: {mine} here, " + "; ".join(parts))
    return lines


def _places(names: list[str], n_workers: int) -> str:
    places = ["the scheduler"] if "scheduler" in names else []
    workers = [n for n in names if n != "scheduler"]
    if workers:
        shown = ", ".join(workers[:3]) + (f" and {len(workers) - 3} more" if len(workers) > 3 else "")
        places.append(f"{len(workers)} of {n_workers} worker(s) ({shown})")
    return " and ".join(places)


def mismatch_message(address: str, lines: list[str]) -> str:
    listed = "\n".join(f"  {line}" for line in lines)
    return (
        f"the Dask cluster at {address} runs other package versions than this client:\n{listed}\n"
        "Tasks may fail to unpickle or behave differently there; install the same versions of these "
        "packages on the client, the scheduler and the workers."
    )
