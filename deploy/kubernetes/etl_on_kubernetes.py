"""The ETL example on Kubernetes: ``DaskExecutor(cluster_class="dask_kubernetes.operator.KubeCluster", ...)``.

Needs the Dask Kubernetes operator installed in the cluster and
``pip install dask-kubernetes`` where the driver runs (see deploy/README.md).
When the run starts, ``KubeCluster`` creates a ``DaskCluster`` resource like
``daskcluster.yaml`` beside this file, adapts it between 1 and 10 workers,
and deletes it when the run's executor closes. Run it with::

    daskflow run deploy/kubernetes/etl_on_kubernetes.py:etl_on_kubernetes

Set ``DASKFLOW_IMAGE`` to the worker image your cluster can pull.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from orchestrator import DaskExecutor

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from examples.etl import etl

#: Passed to KubeCluster as they are; tests/deploy checks the DaskCluster they make against daskcluster.yaml.
KUBE_CLUSTER_KWARGS = {
    "name": "daskflow",
    "image": os.environ.get("DASKFLOW_IMAGE", "daskflow-worker:0.1.0"),
    "n_workers": 3,
    "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
    "env": {"DASK_DISTRIBUTED__COMM__TIMEOUTS__TCP": "30s"},
}

executor = DaskExecutor(
    cluster_class="dask_kubernetes.operator.KubeCluster",
    cluster_kwargs=KUBE_CLUSTER_KWARGS,
    adapt={"minimum": 1, "maximum": 10},
)
etl_on_kubernetes = etl.with_options(executor=executor)
