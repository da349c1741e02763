"""The kinds of store the tests run against: SQLite files and PostgreSQL databases.

A :class:`StoreKind` makes fresh, empty locations of its kind and reaches
beneath the store contract where a test must (moving a message's arrival
time). The ``store_kind`` fixture (tests/conftest.py) is parametrised over
both kinds, so every test that asks for a store through it (the contract
suite in tests/store/, the API tests through ``api_store``) runs on each.
"""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing
from datetime import datetime
from pathlib import Path
from typing import Protocol

from pochta.store.sqlite.row import to_micros
from tests.cluster import Cluster

__all__ = ["KIND_NAMES", "PostgresKind", "SQLiteKind", "StoreKind"]

#: The kinds, in the order the tests run them.
KIND_NAMES = ("sqlite", "postgresql")


class StoreKind(Protocol):
    """One kind of store, as the tests make and reach into it."""

    name: str

    def location(self, folder: Path) -> str:
        """Return a new, empty location (``folder`` is the test's own temporary folder)."""
        ...

    def set_created(self, location: str, id: str, moment: datetime) -> None:
        """Make message ``id`` look as if it arrived at ``moment`` (for ``before:``/``after:``)."""
        ...

    def bare_location(self, folder: Path) -> str:
        """Return a location where no store was ever opened (no file, no schema)."""
        ...


class SQLiteKind:
    """The embedded store: a file in the test's folder."""

    name = "sqlite"

    def location(self, folder: Path) -> str:
        """Return ``folder/mail.db``."""
        return str(folder / "mail.db")

    def bare_location(self, folder: Path) -> str:
        """Return ``folder/mail.db``: no file there yet."""
        return self.location(folder)

    def set_created(self, location: str, id: str, moment: datetime) -> None:
        """Update the row's ``created`` column in place."""
        with closing(sqlite3.connect(location)) as other:
            other.execute("UPDATE message SET created = ? WHERE id = ?", (to_micros(moment), id))
            other.commit()


class PostgresKind:
    """The team store: a new database on the session's PostgreSQL server for each test.

    Each is a file copy of one database the store's schema was applied to
    once (``CREATE DATABASE ... TEMPLATE``, about 0.1 s), so a test pays
    neither ``initdb`` nor the migrations.
    """

    name = "postgresql"

    def __init__(self, cluster: Cluster) -> None:
        """Make the template database on ``cluster``."""
        import psycopg

        from pochta.store.postgres import PostgresStore

        self.cluster = cluster
        self._template = f"pochta_template_{uuid.uuid4().hex[:8]}"
        PostgresStore(cluster.create_database(self._template)).close()
        with psycopg.connect(cluster.url(), autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{self._template}" WITH ALLOW_CONNECTIONS false')

    def location(self, folder: Path) -> str:
        """Return the URL of a new database holding the store's empty schema."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.cluster.url(), autocommit=True) as connection:
            connection.execute(
                f'CREATE DATABASE "{name}" TEMPLATE "{self._template}" STRATEGY FILE_COPY'
            )
        return self.cluster.url(name)

    def bare_location(self, folder: Path) -> str:
        """Return the URL of a new database without the store's schema."""
        return self.cluster.create_database()

    def set_created(self, location: str, id: str, moment: datetime) -> None:
        """Update the row's ``created`` column in place."""
        import psycopg

        with psycopg.connect(location, autocommit=True) as connection:
            connection.execute(
                "UPDATE pochta.message SET created = %s WHERE id = %s", (moment, id)
            )
