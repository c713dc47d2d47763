"""deploy/docker: the compose file parses with a real compose, and the Dockerfile builds the images it names.

There is no Docker daemon here: nothing is built or started. What runs is
``docker-compose config`` (Debian's compose; ``.ci/run`` installs it), which
parses, interpolates and validates the compose file against the Compose
schema; hadolint, which lints the Dockerfile; and Docker's own Dockerfile
parser (the ``dockerfile`` package), to check the stages and what they copy.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import DEPLOY, ROOT

COMPOSE = DEPLOY / "docker" / "compose.yaml"
DOCKERFILE = DEPLOY / "docker" / "Dockerfile"


def _compose_command() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    pytest.skip("needs docker-compose (apt-get install docker-compose; .ci/run installs it)")


def _config() -> dict[str, Any]:
    done = subprocess.run(
        [*_compose_command(), "-f", str(COMPOSE), "config"], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    loaded: dict[str, Any] = yaml.safe_load(done.stdout)
    return loaded


def _stages() -> dict[str, list[Any]]:
    import dockerfile

    stages: dict[str, list[Any]] = {}
    current: list[Any] = []
    for command in dockerfile.parse_file(str(DOCKERFILE)):
        if command.cmd.upper() == "FROM":
            current = []
            name = (
                command.value[2] if len(command.value) == 3 and command.value[1].upper() == "AS" else command.value[0]
            )
            stages[name] = current
        current.append(command)
    return stages


def test_compose_config_parses_and_runs_a_scheduler_workers_and_the_dashboard() -> None:
    """docker-compose config accepts the file: scheduler, 3 workers, the dashboard, and a driver to run flows."""
    services = _config()["services"]
    assert set(services) == {"scheduler", "worker", "dashboard", "driver"}
    assert services["worker"]["scale"] == 3
    assert services["worker"]["environment"]["DASK_SCHEDULER_ADDRESS"] == "tcp://scheduler:8786"
    assert services["driver"]["environment"]["DASKFLOW_ADDRESS"] == "tcp://scheduler:8786"
    assert services["dashboard"]["command"] == ["dashboard", "--host", "0.0.0.0", "--port", "8789"]
    # The store volume is shared by the drivers that write it and the dashboard that reads it.
    assert services["dashboard"]["volumes"] == services["driver"]["volumes"]
    for service in services.values():
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{port} is published beyond this host"


def test_every_compose_build_target_is_a_stage_of_the_dockerfile() -> None:
    """Each service builds a target that exists, from the repository root, with this Dockerfile."""
    stages = _stages()
    for name, service in _config()["services"].items():
        build = service.get("build")
        if build is None:
            assert service["image"] in {s["image"] for s in _config()["services"].values() if "build" in s}, name
            continue
        assert Path(build["context"]) == ROOT
        assert build["dockerfile"] == "deploy/docker/Dockerfile"
        assert build["target"] in stages


def test_the_dockerfile_lints_clean_and_its_stages_start_what_they_should() -> None:
    """hadolint finds nothing; scheduler, worker and driver stages run dask scheduler, dask worker and daskflow."""
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    linted = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=120, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr

    stages = _stages()
    assert {"base", "scheduler", "worker", "driver"} <= set(stages)

    def last(stage: str, cmd: str) -> tuple[str, ...]:
        (found, *_) = [c.value for c in reversed(stages[stage]) if c.cmd.upper() == cmd]
        return tuple(found)

    assert last("scheduler", "CMD")[:2] == ("dask", "scheduler")
    assert "exec dask worker" in last("worker", "CMD")[-1]
    assert last("driver", "ENTRYPOINT") == ("daskflow",)
    for command in stages["base"]:
        if command.cmd.upper() == "COPY":
            *sources, _ = command.value
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: no such path in the repository"
    run = " ".join(" ".join(c.value) for c in stages["base"] if c.cmd.upper() == "RUN")
    for shim in ("dask-scheduler", "dask-worker"):  # what the Kubernetes operator's pods start
        assert f"/usr/local/bin/{shim}" in run
