"""Every Prefect-style example in examples/prefect runs through orchestrator.compat and prints what Prefect would.

Each example's docstring ends with ``Expected output:`` (its exact stdout) and
optionally ``Expected in logs:`` (text that must appear in exactly one line of
its console log, on stderr). Each runs as a user runs it: ``python example.py``
in a fresh interpreter, with its own DASKFLOW_HOME.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import EXAMPLES

PREFECT_EXAMPLES = sorted((EXAMPLES / "prefect").glob("p[13]_*.py"))
#: Backstop for one example; the Dask ones start a LocalCluster.
EXAMPLE_TIMEOUT = 300


def _expectations(path: Path) -> tuple[list[str], list[str]]:
    doc = ast.get_docstring(ast.parse(path.read_text())) or ""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in doc.splitlines():
        if line.rstrip().endswith(":") and line.strip() in ("Expected output:", "Expected in logs:"):
            current = sections.setdefault(line.strip(), [])
        elif current is not None and line.strip():
            current.append(line.strip())
    return sections.get("Expected output:", []), sections.get("Expected in logs:", [])


def test_there_are_at_least_thirty_examples_half_of_each_generation() -> None:
    """At least 15 Prefect 1 and 15 Prefect 2/3 examples, each with an expected output."""
    p1 = [p for p in PREFECT_EXAMPLES if p.name.startswith("p1_")]
    p3 = [p for p in PREFECT_EXAMPLES if p.name.startswith("p3_")]
    assert len(p1) >= 15 and len(p3) >= 15, (len(p1), len(p3))
    assert all(_expectations(p)[0] for p in PREFECT_EXAMPLES)


def test_examples_import_only_from_the_compat_packages() -> None:
    """The examples are Prefect code with only the import lines changed: no daskflow name is imported."""
    for path in PREFECT_EXAMPLES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "orchestrator":
                assert node.module.startswith(("orchestrator.compat.prefect", "orchestrator.compat.prefect_dask")), path
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("orchestrator"):
                        assert alias.name.startswith("orchestrator.compat.prefect"), path


@pytest.mark.slow
@pytest.mark.parametrize("path", PREFECT_EXAMPLES, ids=lambda p: p.stem)
def test_example_prints_what_its_prefect_original_prints(path: Path, tmp_path: Path) -> None:
    """The example's stdout is exactly its expected output, and each expected log line shows once."""
    expected, logs = _expectations(path)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DASKFLOW_", "DASK_"))}
    env["DASKFLOW_HOME"] = str(tmp_path / "home")
    result = subprocess.run(
        [sys.executable, str(path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=EXAMPLE_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines() == expected, result.stderr[-3000:]
    lines = result.stderr.splitlines()
    for needle in logs:
        assert sum(needle in line for line in lines) == 1, (needle, result.stderr[-3000:])
