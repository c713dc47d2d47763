"""The ETL example on a SLURM cluster: ``DaskExecutor(cluster_class="dask_jobqueue.SLURMCluster", ...)``.

Run the driver where ``sbatch`` works: on a login node, or inside a batch job
(``run_flow.sbatch`` beside this file). When the run starts,
``SLURMCluster`` starts a Dask scheduler in the driver's process and submits
worker jobs, each one ``sbatch`` job running one Dask worker; ``adapt`` keeps
between 1 and 20 of them. Edit ``SLURM_CLUSTER_KWARGS`` for your site
(partition, account, the Python environment the jobs activate)::

    pip install dask-jobqueue
    daskflow run deploy/slurm/etl_on_slurm.py:etl_on_slurm
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from orchestrator import DaskExecutor

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from examples.etl import etl

#: dask_jobqueue.SLURMCluster's settings; tests/deploy renders the job script from exactly these.
SLURM_CLUSTER_KWARGS = {
    "queue": os.environ.get("DASKFLOW_SLURM_PARTITION", "compute"),
    "account": os.environ.get("DASKFLOW_SLURM_ACCOUNT", "my-project"),
    "cores": 4,  # per job: one worker process with 4 threads
    "processes": 1,
    "memory": "16GiB",
    "walltime": "02:00:00",
    "job_name": "daskflow-worker",
    # The workers must run the driver's Python, dask, distributed and daskflow versions.
    "job_script_prologue": [f"source {os.environ.get('DASKFLOW_VENV', '$HOME/daskflow/.venv')}/bin/activate"],
    "job_extra_directives": ["--output=daskflow-worker-%j.log"],
    # Give jobs a lifetime below the walltime, so Dask moves their work before SLURM kills them.
    "worker_extra_args": ["--lifetime", "110m", "--lifetime-stagger", "4m"],
    # Where the workers reach the scheduler: the driver node's address on the cluster network.
    "scheduler_options": {"interface": os.environ.get("DASKFLOW_SLURM_INTERFACE", "ib0")},
}

executor = DaskExecutor(
    cluster_class="dask_jobqueue.SLURMCluster",
    cluster_kwargs=SLURM_CLUSTER_KWARGS,
    adapt={"minimum": 1, "maximum": 20},
)
etl_on_slurm = etl.with_options(executor=executor)
