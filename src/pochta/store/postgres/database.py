"""One catcher's hold on the database: the schema checked, the pool, its name in notifications.

:class:`Database` is what :class:`~pochta.store.postgres.store.PostgresStore`
opens first: one connection of its own brings the schema up to date (or,
read-only, checks it is at this pochta's version), then the pool of
:data:`POOL_SIZE` connections that the store's calls and its writer, indexer
and follower threads share. :meth:`Database.lend` turns psycopg's failures
into the StoreErrors of :func:`~pochta.store.postgres.connection.store_error`.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from pochta.exceptions import StoreError
from pochta.store.postgres.connection import connect, open_pool, redact, store_error
from pochta.store.postgres.migration import check_schema, migrate

__all__ = ["POOL_SIZE", "Database", "sizes"]

#: Connections each catcher keeps open at most.
POOL_SIZE = 8


class Database:
    """The schema, the pool and this catcher's ``origin``; every change refused if read-only."""

    def __init__(self, url: str, *, read_only: bool = False) -> None:
        """Migrate (or, ``read_only``, check) the schema at ``url``, then open the pool.

        ``origin`` is this catcher's random name in the notifications it sends,
        so that it can tell its own changes from the other catchers'.
        """
        self.url = url
        self.read_only = read_only
        with closing(connect(url)) as connection:
            self.schema = check_schema(connection, url) if read_only else migrate(connection, url)
            self.engine = str(connection.execute("SHOW server_version").fetchone()[0])
        self.pool = open_pool(url, max_size=POOL_SIZE)
        self.origin = secrets.token_hex(8)

    @property
    def location(self) -> str:
        """The database's URL without its password."""
        return redact(self.url)

    @contextmanager
    def lend(self, doing: str) -> Iterator[Any]:
        """Lend a pooled connection; psycopg's failures become StoreErrors naming ``doing``."""
        import psycopg
        from psycopg_pool import PoolClosed, PoolTimeout

        try:
            with self.pool.connection() as connection:
                yield connection
        except PoolClosed:
            raise StoreError(f"the store {self.location} is closed; open it again") from None
        except (psycopg.Error, PoolTimeout) as error:
            raise store_error(error, self.url, doing) from None

    def check_writable(self, doing: str) -> None:
        """Raise StoreError if the database was opened read-only: pochta cannot ``doing``."""
        if self.read_only:
            raise StoreError(
                f"the store {self.location} was opened read-only, so pochta cannot {doing}; "
                "open it without read_only"
            )

    def close(self) -> None:
        """Close every connection of the pool; later loans raise StoreError."""
        self.pool.close()


def sizes(connection: Any) -> tuple[int, int]:
    """Return the database's size in bytes and how many messages are not indexed yet."""
    size, unindexed = connection.execute(
        "SELECT pg_database_size(current_database()),"
        " (SELECT count(*) FROM message WHERE NOT indexed)"
    ).fetchone()
    return int(size), int(unindexed)
