"""deploy/kubernetes: manifests valid against the Kubernetes schemas, the DaskCluster as dask_kubernetes makes it.

No Kubernetes cluster exists here: nothing is applied. The built-in kinds
are validated offline, strictly (no unknown fields), with the schemas
``kubernetes-validate`` ships; the ``DaskCluster`` against the operator's own
CRD schema from ``dask_kubernetes`` (its pod and service specs against the
Kubernetes schemas) and against what ``make_cluster_spec`` generates from the
recipe's ``KUBE_CLUSTER_KWARGS``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from executors import DaskExecutor

from .conftest import DEPLOY, load_recipe

K8S = DEPLOY / "kubernetes"
RECIPE = K8S / "etl_on_kubernetes.py"


def _documents(name: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def _validate(document: dict[str, Any]) -> None:
    import kubernetes_validate
    from kubernetes_validate.utils import latest_version

    kubernetes_validate.validate(document, latest_version(), strict=True)


@pytest.mark.parametrize("name", ["dashboard.yaml", "driver-job.yaml"])
def test_the_dashboard_and_driver_manifests_validate_strictly(name: str) -> None:
    """Every document is a valid Kubernetes object of its kind, with no unknown fields."""
    documents = _documents(name)
    assert documents
    for document in documents:
        _validate(document)


def test_the_dashboard_and_the_driver_share_the_store_on_one_node() -> None:
    """Both mount the daskflow-home claim at DASKFLOW_HOME; the driver is placed beside the dashboard."""
    by_kind = {doc["kind"]: doc for doc in _documents("dashboard.yaml")}
    (job,) = _documents("driver-job.yaml")
    dashboard_pod = by_kind["Deployment"]["spec"]["template"]
    driver_pod = job["spec"]["template"]
    for pod in (dashboard_pod, driver_pod):
        (volume,) = pod["spec"]["volumes"]
        assert volume["persistentVolumeClaim"]["claimName"] == by_kind["PersistentVolumeClaim"]["metadata"]["name"]
        container = pod["spec"]["containers"][0]
        assert {"name": "DASKFLOW_HOME", "value": container["volumeMounts"][0]["mountPath"]} in container["env"]
    affinity = driver_pod["spec"]["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
    assert affinity["labelSelector"]["matchLabels"].items() <= dashboard_pod["metadata"]["labels"].items()
    assert dashboard_pod["spec"]["containers"][0]["args"] == ["dashboard", "--host", "0.0.0.0", "--port", "8789"]
    driver_env = {e["name"]: e["value"] for e in driver_pod["spec"]["containers"][0]["env"]}
    (cluster,) = _documents("daskcluster.yaml")
    assert driver_env["DASKFLOW_ADDRESS"] == f"tcp://{cluster['metadata']['name']}-scheduler:8786"


def test_the_daskcluster_is_what_dask_kubernetes_generates_from_the_recipe() -> None:
    """daskcluster.yaml equals make_cluster_spec(**KUBE_CLUSTER_KWARGS): kubectl and KubeCluster agree."""
    from dask_kubernetes.operator import make_cluster_spec

    recipe = load_recipe(RECIPE)
    (manifest,) = _documents("daskcluster.yaml")
    generated = make_cluster_spec(**recipe.KUBE_CLUSTER_KWARGS)
    assert manifest == yaml.safe_load(yaml.safe_dump(generated))


def test_the_daskcluster_validates_against_the_operator_crd_and_its_pods_against_kubernetes() -> None:
    """The DaskCluster fits the operator's CRD schema; its scheduler/worker pod specs and service are valid."""
    import dask_kubernetes
    import jsonschema

    (manifest,) = _documents("daskcluster.yaml")
    templates = Path(dask_kubernetes.__file__).parent / "operator" / "customresources" / "templates.yaml"
    definitions = yaml.safe_load(templates.read_text())["definitions"]

    def local(node: Any) -> Any:
        # The CRD points at its own definitions and at Kubernetes' (checked below, with kubernetes-validate).
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and "templates.yaml#/definitions/" in ref:
                return {"$ref": "#/definitions/" + ref.rsplit("/", 1)[-1]}
            if isinstance(ref, str) and ref.startswith("python://k8s_crd_resolver"):
                return {"type": "object"}
            return {k: local(v) for k, v in node.items()}
        if isinstance(node, list):
            return [local(v) for v in node]
        return node

    schema = {**local(definitions["dask.k8s.api.v1.DaskCluster"]), "definitions": local(definitions)}
    jsonschema.Draft7Validator(schema).validate(manifest)

    spec = manifest["spec"]
    for part in ("scheduler", "worker"):
        _validate(
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": part}, "spec": copy.deepcopy(spec[part]["spec"])}
        )
    _validate({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}, "spec": spec["scheduler"]["service"]})


def test_the_recipe_names_kubecluster_by_dotted_path_and_daskexecutor_accepts_it() -> None:
    """DaskExecutor(cluster_class="dask_kubernetes.operator.KubeCluster") resolves the class when it starts."""
    from dask_kubernetes.operator import KubeCluster

    from executors.dask_cluster import _import_class

    recipe = load_recipe(RECIPE)
    assert isinstance(recipe.executor, DaskExecutor)
    assert recipe.executor.cluster_class == "dask_kubernetes.operator.KubeCluster"
    assert _import_class(recipe.executor.cluster_class) is KubeCluster
    assert recipe.etl_on_kubernetes.options.executor is recipe.executor
