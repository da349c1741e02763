"""Check that a file is a pochta store and bring its schema up to date.

A pochta store is an SQLite file whose ``PRAGMA application_id`` is
:data:`APPLICATION_ID` and whose ``PRAGMA user_version`` is the number of the
last ``schema/NNNN_*.sql`` file applied to it. Each file runs in its own
transaction together with the version bump, so a crash mid-migration leaves
the previous version intact.
"""

from __future__ import annotations

import re
import sqlite3
from importlib import resources
from pathlib import Path

from pochta.exceptions import StoreFormatError
from pochta.store.tag import tag_key

__all__ = ["APPLICATION_ID", "LATEST_VERSION", "check_identity", "migrate", "migrations"]

APPLICATION_ID = 0x706F6368  # "poch"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, str]]:
    """Return (version, SQL) for every schema file shipped with pochta, in order."""
    folder = resources.files("pochta.store.sqlite").joinpath("schema")
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    return sorted(found)


LATEST_VERSION = migrations()[-1][0]


def migrate(connection: sqlite3.Connection, path: Path) -> None:
    """Create or upgrade the schema; raise StoreFormatError for a foreign or newer file.

    ``connection`` must be in autocommit mode (``isolation_level=None``).
    """
    _check(connection, path)
    # What a schema file may call besides SQLite's own functions (0005_fold.sql).
    connection.create_function("pochta_tag_key", 1, tag_key, deterministic=True)
    for version, sql in migrations():
        connection.execute("BEGIN IMMEDIATE")
        try:
            # Re-read inside the write lock: another process may have migrated meanwhile.
            if _pragma(connection, "user_version") >= version:
                connection.execute("ROLLBACK")
                continue
            _check(connection, path)
            for statement in _statements(sql):
                connection.execute(statement)
            connection.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            connection.execute(f"PRAGMA user_version = {version}")
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise


def _check(connection: sqlite3.Connection, path: Path) -> None:
    application = _pragma(connection, "application_id")
    version = _pragma(connection, "user_version")
    objects = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    check_identity(path, application, version, has_objects=bool(objects))


def check_identity(path: Path, application: int, version: int, *, has_objects: bool) -> None:
    """Raise StoreFormatError unless these facts are a pochta store's (or an empty file's)."""
    if application != APPLICATION_ID:
        if has_objects or version:
            raise StoreFormatError(
                f"{path} is an SQLite database of another program, not a pochta store; "
                "give pochta a new file name (it creates the file) or move that file away"
            )
    elif version > LATEST_VERSION:
        raise StoreFormatError(
            f"{path} was written by a newer pochta (store schema {version}; this pochta "
            f"reads up to {LATEST_VERSION}); upgrade pochta or give a new file name"
        )


def _pragma(connection: sqlite3.Connection, name: str) -> int:
    return int(connection.execute(f"PRAGMA {name}").fetchone()[0])


def _statements(sql: str) -> list[str]:
    """Split a schema file into statements (complete_statement knows about triggers)."""
    statements: list[str] = []
    pending = ""
    for line in sql.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    return [s for s in statements if s.strip(" \n;")]
