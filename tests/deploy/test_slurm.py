"""deploy/slurm: the job script SLURMCluster writes from the recipe's settings, and the sbatch example.

No SLURM here: nothing is submitted. ``SLURMCluster(**SLURM_CLUSTER_KWARGS)``
really starts (its scheduler bound to 127.0.0.1 instead of the recipe's
cluster interface) and renders its worker job script, which is checked line
by line; the sbatch example is checked with ``bash -n`` and for what it runs.
"""

from __future__ import annotations

import shlex
import subprocess

from executors import DaskExecutor

from .conftest import DEPLOY, load_recipe

SLURM = DEPLOY / "slurm"


def test_the_worker_job_script_follows_the_documented_settings() -> None:
    """#SBATCH partition, account, cpus, memory, time and output; the prologue; one dask worker with 4 threads."""
    from dask_jobqueue import SLURMCluster

    recipe = load_recipe(SLURM / "etl_on_slurm.py")
    settings = {**recipe.SLURM_CLUSTER_KWARGS, "scheduler_options": {"host": "127.0.0.1"}}
    with SLURMCluster(**settings) as cluster:
        script = cluster.job_script()
        address = cluster.scheduler_address
    directives = [line.split(None, 1)[1] for line in script.splitlines() if line.startswith("#SBATCH")]
    for expected in (
        "-J daskflow-worker",
        "-p compute",
        "-A my-project",
        "-n 1",
        "--cpus-per-task=4",
        "--mem=16G",
        "-t 02:00:00",
        "--output=daskflow-worker-%j.log",
    ):
        assert expected in directives, f"{expected!r} not in {directives}"
    body = [line for line in script.splitlines() if line and not line.startswith("#")]
    assert body[0].startswith("source ") and body[0].endswith("/bin/activate")
    worker = shlex.split(body[-1])
    assert worker[1:4] == ["-m", "distributed.cli.dask_worker", address]
    for flag, value in (("--nthreads", "4"), ("--memory-limit", "16.00GiB"), ("--lifetime", "110m")):
        assert worker[worker.index(flag) + 1] == value


def test_the_recipe_uses_daskexecutor_with_a_dotted_cluster_class_and_adapt() -> None:
    """The recipe is DaskExecutor(cluster_class="dask_jobqueue.SLURMCluster", cluster_kwargs=..., adapt=...)."""
    recipe = load_recipe(SLURM / "etl_on_slurm.py")
    executor = recipe.executor
    assert isinstance(executor, DaskExecutor)
    assert executor.cluster_class == "dask_jobqueue.SLURMCluster"
    assert executor.cluster_kwargs == recipe.SLURM_CLUSTER_KWARGS
    assert executor.adapt == {"minimum": 1, "maximum": 20}


def test_the_sbatch_example_is_valid_bash_that_runs_the_recipe_on_local_disk() -> None:
    """bash -n accepts it; it asks SLURM for the driver's resources and runs the recipe with the store on scratch."""
    path = SLURM / "run_flow.sbatch"
    assert subprocess.run(["bash", "-n", str(path)], check=False).returncode == 0
    text = path.read_text()
    assert text.startswith("#!/bin/bash\n")
    directives = {line.split()[1].split("=")[0] for line in text.splitlines() if line.startswith("#SBATCH")}
    assert {"--job-name", "--partition", "--account", "--time", "--mem", "--cpus-per-task"} <= directives
    assert "daskflow run deploy/slurm/etl_on_slurm.py:etl_on_slurm" in text
    assert 'export DASKFLOW_HOME="${SLURM_TMPDIR:-/tmp}/' in text


CTRL_C_CHECK = """
import signal, sys
ours = signal.getsignal(signal.SIGINT)
if sys.argv[1] == "plain":
    import dask_jobqueue
else:
    from executors.dask_cluster import _import_class
    assert _import_class("dask_jobqueue.SLURMCluster").__name__ == "SLURMCluster"
print("kept" if signal.getsignal(signal.SIGINT) is ours else "replaced")
"""


def test_naming_slurmcluster_by_path_keeps_ctrl_c_a_keyboard_interrupt() -> None:
    """A plain import of dask_jobqueue replaces the SIGINT handler; DaskExecutor's import of it keeps Python's."""
    import sys

    def outcome(how: str) -> str:
        done = subprocess.run([sys.executable, "-c", CTRL_C_CHECK, how], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    assert outcome("plain") == "replaced"
    assert outcome("by-path") == "kept"
