"""Bringing a database up to the store's schema: ``schema/NNNN_*.sql``, in order, once each.

Every catcher runs :func:`migrate` when it opens the store. The steps run
under a session-level advisory lock, so when two catchers start at once on
an empty database one of them creates the schema and the other waits, then
finds nothing left to do. Each file is applied in its own transaction with
its row in ``pochta.schema_version``: a failure leaves the database at the
previous version, never between two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pochta.exceptions import StoreFormatError
from pochta.store.postgres.connection import SCHEMA, redact, store_error

__all__ = ["LOCK_KEY", "Migration", "check_schema", "migrate", "migrations"]

#: The advisory lock key migrations hold (any fixed number; "pochta" in ASCII).
LOCK_KEY = 0x706F63687461
_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: its version number, file name and SQL."""

    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """Return every schema step shipped with pochta, in version order."""
    folder = resources.files("pochta.store.postgres").joinpath("schema")
    steps = []
    for entry in folder.iterdir():
        match = _NAME.fullmatch(entry.name)
        if match is not None:
            steps.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    steps.sort(key=lambda step: step.version)
    return steps


def migrate(connection: Any, url: str) -> int:
    """Apply the steps ``connection``'s database lacks; return the schema version it is at.

    ``connection`` is in autocommit mode. Raises StoreFormatError when the
    database was written by a newer pochta, StoreError when a step fails.
    """
    import psycopg

    steps = migrations()
    try:
        connection.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        try:
            current = _version(connection)
            newest = steps[-1].version
            if current > newest:
                raise StoreFormatError(
                    f"the store in {redact(url)} has schema {current}, newer than this "
                    f"pochta knows ({newest}); upgrade pochta, or give another database"
                )
            for step in steps:
                if step.version > current:
                    with connection.transaction():
                        connection.execute(step.sql)
                        connection.execute(
                            "INSERT INTO schema_version (version, name) VALUES (%s, %s)",
                            (step.version, step.name),
                        )
                    current = step.version
            return current
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
    except psycopg.Error as error:
        raise store_error(error, url, "bring the store's schema up to date") from None


def check_schema(connection: Any, url: str) -> int:
    """Return the schema version of a store to read only; StoreFormatError unless current."""
    import psycopg

    newest = migrations()[-1].version
    try:
        row = connection.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
        current = 0
        if row[0]:
            found = connection.execute("SELECT max(version) FROM schema_version").fetchone()
            current = int(found[0] or 0)
    except psycopg.Error as error:
        raise store_error(error, url, "read the store's schema") from None
    if current != newest:
        if current == 0:
            raise StoreFormatError(
                f"no store at {redact(url)} (the database holds no pochta schema); "
                "start `pochta serve` there first"
            )
        raise StoreFormatError(
            f"{redact(url)} holds a store of schema {current}, and this pochta reads schema "
            f"{newest} only; start `pochta serve` on it first (it upgrades the schema)"
        )
    return current


def _version(connection: Any) -> int:
    """Create the schema and its version table when missing; return the version applied."""
    connection.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version integer PRIMARY KEY, name text NOT NULL,"
        " applied timestamptz NOT NULL DEFAULT now())"
    )
    row = connection.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0])
