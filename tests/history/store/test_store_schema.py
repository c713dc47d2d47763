"""Schema creation, versioning and WAL mode of the SQLite run store."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from orchestrator.history.store import SCHEMA_VERSION, SQLiteStore, StoreError
from orchestrator.history.store.schema import (
    MIGRATIONS,
    migrate,
    schema_version,
    split_statements,
)

TABLES = {"flow_runs", "flow_transitions", "task_runs", "task_transitions", "logs"}


def _tables(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def test_new_store_is_created_at_current_schema_version(tmp_path: Path) -> None:
    """Opening a new file creates every table and sets user_version to SCHEMA_VERSION."""
    path = tmp_path / "daskflow.db"
    SQLiteStore(path).close()
    with closing(sqlite3.connect(path)) as conn:
        assert schema_version(conn) == SCHEMA_VERSION == len(MIGRATIONS)
    assert _tables(path) >= TABLES


def test_new_store_uses_wal_mode(tmp_path: Path) -> None:
    """The database file is switched to WAL journaling, which persists for later connections."""
    path = tmp_path / "daskflow.db"
    SQLiteStore(path).close()
    with closing(sqlite3.connect(path)) as conn:
        (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    assert mode == "wal"


def test_reopening_a_store_keeps_its_data_and_version(tmp_path: Path) -> None:
    """Opening an existing store runs no migration again and keeps what was recorded."""
    path = tmp_path / "daskflow.db"
    with SQLiteStore(path) as first:
        first.create_flow_run("run-1", "etl", {"day": "2026-11-20"}, 100.0)
    with SQLiteStore(path) as second:
        row = second.get_flow_run("run-1")
    assert row is not None
    assert row.parameters == {"day": "2026-11-20"}


def test_migrate_applies_only_pending_migrations_in_order(tmp_path: Path) -> None:
    """A database at version N gets migrations N+1.. applied once, and the version follows."""
    with closing(sqlite3.connect(tmp_path / "m.db", isolation_level=None)) as conn:
        assert migrate(conn, MIGRATIONS) == len(MIGRATIONS)
        upgraded = (*MIGRATIONS, "ALTER TABLE flow_runs ADD COLUMN tags TEXT;")
        assert migrate(conn, upgraded) == len(upgraded)
        # A second run must not re-apply the ALTER, which would fail.
        assert migrate(conn, upgraded) == len(upgraded)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(flow_runs)")}
        assert schema_version(conn) == len(upgraded)
    assert "tags" in columns


def test_failed_migration_leaves_the_version_and_schema_unchanged(
    tmp_path: Path,
) -> None:
    """A migration that fails half-way is rolled back together with its version bump."""
    with closing(sqlite3.connect(tmp_path / "m.db", isolation_level=None)) as conn:
        broken = (
            *MIGRATIONS,
            "CREATE TABLE extra (x INTEGER);\nINSERT INTO nowhere VALUES (1);",
        )
        with pytest.raises(sqlite3.OperationalError):
            migrate(conn, broken)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        version = schema_version(conn)
    assert version == 0
    assert "extra" not in tables
    assert "flow_runs" not in tables


def test_store_newer_than_this_code_is_refused(tmp_path: Path) -> None:
    """A file whose schema is newer than the code raises StoreError telling to upgrade."""
    path = tmp_path / "daskflow.db"
    SQLiteStore(path).close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StoreError, match="upgrade daskflow"):
        SQLiteStore(path)


def test_split_statements_respects_semicolons_in_strings_and_triggers() -> None:
    """Statements split at real statement ends, not at semicolons inside literals or triggers."""
    script = """
    CREATE TABLE t (x TEXT);
    INSERT INTO t VALUES ('a;b');
    CREATE TRIGGER tr AFTER INSERT ON t BEGIN
        INSERT INTO t VALUES ('c;d');
    END;
    """
    statements = list(split_statements(script))
    assert len(statements) == 3
    assert statements[1] == "INSERT INTO t VALUES ('a;b');"
    assert statements[2].startswith("CREATE TRIGGER")
    assert statements[2].endswith("END;")


def test_incomplete_migration_script_is_rejected() -> None:
    """A script ending in an unterminated statement raises StoreError instead of being dropped."""
    with pytest.raises(StoreError, match="incomplete SQL statement"):
        list(split_statements("CREATE TABLE t (x TEXT);\nCREATE TABLE u (y TEXT)"))
