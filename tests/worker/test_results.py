"""Persisted result files: atomic, checksummed, verified on read; and the storage probe."""

from __future__ import annotations

from pathlib import Path

from orchestrator.worker.results import (
    delete_result,
    location_for,
    probe_root,
    read_header,
    read_result,
    scan_results,
    write_probe,
    write_result,
)

KEY = "ab" * 32


def test_a_written_result_reads_back_with_its_record(tmp_path: Path) -> None:
    """write_result puts the value at the key's location; read_result verifies and returns it."""
    root = tmp_path.as_uri()
    record = write_result(root, KEY, {"rows": [1, 2, 3]}, "load", "run-1", 100.0, None)
    assert record["location"] == location_for(root, KEY) and record["size"] > 0 and len(record["checksum"]) == 64
    found, value, header, why = read_result(record["location"], KEY, 200.0)
    assert (found, value, why) == (True, {"rows": [1, 2, 3]}, "")
    assert header is not None and header["run"] == "run-1" and header["task"] == "load"
    assert [p.name for p in (tmp_path / "ab").iterdir()] == [f"{KEY}.result"]  # no temporary file left


def test_damaged_missing_expired_or_foreign_files_are_misses_with_reasons(tmp_path: Path) -> None:
    """Every bad file is a miss, never an exception, and says what was wrong."""
    root = tmp_path.as_uri()
    location = write_result(root, KEY, "value", "t", "r", 100.0, 150.0)["location"]
    assert read_result(location, KEY, 160.0)[3] == "it expired"
    assert "holds key" in read_result(location, "cd" * 32, 120.0)[3]
    path = Path(location.removeprefix("file://"))
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    assert "checksum does not match" in read_result(location, KEY, 120.0)[3]
    path.write_bytes(b"not a result")
    assert "not a daskflow result file" in read_result(location, KEY, 120.0)[3]
    path.unlink()
    assert read_result(location, KEY, 120.0) == (False, None, None, "")


def test_results_can_live_on_any_fsspec_filesystem() -> None:
    """A memory:// root works like a file:// one (fsspec does the I/O)."""
    record = write_result("memory://daskflow-test", KEY, 7, "t", "r", 1.0, None)
    assert read_result(record["location"], KEY, 2.0)[:2] == (True, 7)
    assert list(scan_results("memory://daskflow-test")) == [record["location"]]
    assert delete_result(record["location"]) and not delete_result(record["location"])


def test_scan_and_headers_find_every_result_under_a_root(tmp_path: Path) -> None:
    """scan_results lists each result file once; read_header reads its record without the payload."""
    root = tmp_path.as_uri()
    first = write_result(root, KEY, 1, "a", "r", 1.0, None)["location"]
    second = write_result(root, "cd" * 32, 2, "b", "r", 2.0, None)["location"]
    assert sorted(scan_results(root)) == sorted([first, second])
    header = read_header(second)
    assert header is not None and (header["task"], header["created"]) == ("b", 2.0)


def test_the_probe_passes_where_the_drivers_file_is_seen_and_fails_where_it_is_not(tmp_path: Path) -> None:
    """probe_root is None when the token file is there; elsewhere it says the storage is not shared."""
    root = tmp_path.as_uri()
    location = write_probe(root, "run-1", "token-1")
    assert probe_root(root, "run-1", "token-1") is None
    assert "is not the one the driver wrote" in str(probe_root(root, "run-1", "token-2"))
    elsewhere = (tmp_path / "other").as_uri()
    assert "does not see the file" in str(probe_root(elsewhere, "run-1", "token-1"))
    assert delete_result(location)
