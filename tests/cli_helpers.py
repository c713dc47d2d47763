"""Assertions the CLI tests share."""

from __future__ import annotations

import subprocess


def assert_usage_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    """The command exited 2 with exactly one ``daskflow: error:`` line on stderr, mentioning ``needle``."""
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("daskflow: error: ")
    assert needle in lines[0]
