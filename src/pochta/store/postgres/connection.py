"""Reaching PostgreSQL: the URL, the connection pool, and failures turned into store errors.

Every connection of the store works in the schema ``pochta`` (its
``search_path``), so the store's tables never mix with an application's in a
shared database, and names itself ``pochta`` in ``pg_stat_activity``. A
connection that broke (PostgreSQL restarted, the network dropped) is noticed
when the pool hands it out and replaced; while PostgreSQL cannot be reached
every call fails quickly with :class:`~pochta.exceptions.StoreUnavailableError`
and the pool keeps trying in the background, so the store recovers by itself.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pochta.exceptions import (
    ConfigurationError,
    StoreError,
    StoreFullError,
    StoreUnavailableError,
)

__all__ = [
    "CONNECT_TIMEOUT",
    "RECONNECT_TIMEOUT",
    "SCHEMA",
    "SCHEMES",
    "WAIT_TIMEOUT",
    "connect",
    "is_postgres_url",
    "open_pool",
    "redact",
    "store_error",
]

#: The URL schemes of a PostgreSQL store (libpq's two).
SCHEMES = ("postgresql", "postgres")
#: The schema that holds the store's tables.
SCHEMA = "pochta"
#: Seconds to wait for PostgreSQL to accept a new connection.
CONNECT_TIMEOUT = 5
#: Seconds a caller waits for a connection of the pool before its call fails.
WAIT_TIMEOUT = 5.0
#: Seconds the pool retries one lost connection (after 0, 1 and 3 s) before it gives
#: that attempt up; the next caller starts a new one at once. Without the cap its
#: pauses would double without end, and a long outage would mean a long recovery.
RECONNECT_TIMEOUT = 4.0
_SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*)://", re.I)
_SESSION = {"application_name": "pochta", "connect_timeout": CONNECT_TIMEOUT}


def is_postgres_url(location: str) -> bool:
    """Tell whether ``location`` is a ``postgresql://`` (or ``postgres://``) URL."""
    match = _SCHEME.match(location)
    return match is not None and match.group(1).lower() in SCHEMES


def redact(url: str) -> str:
    """Return ``url`` without its password, for logs, errors and ``/api/v1/info``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))


def _configure(connection: Any) -> None:
    connection.execute(f"SET search_path TO {SCHEMA}")


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise ConfigurationError(
            "a postgresql:// store needs psycopg 3; install it with pip install 'pochta[postgres]'"
        ) from None
    return psycopg


def connect(url: str, *, autocommit: bool = True) -> Any:
    """Open one connection of the store (schema ``pochta``), or raise a StoreError."""
    psycopg = _psycopg()
    try:
        connection = psycopg.connect(url, autocommit=True, **_SESSION)
    except psycopg.Error as error:
        raise store_error(error, url, "connect") from None
    try:
        _configure(connection)
        connection.autocommit = autocommit
    except psycopg.Error as error:
        connection.close()
        raise store_error(error, url, "connect") from None
    return connection


def open_pool(url: str, *, max_size: int) -> Any:
    """Open the pool of connections the store's threads share (autocommit, checked on use)."""
    _psycopg()
    try:
        from psycopg_pool import ConnectionPool
    except ImportError:
        raise ConfigurationError(
            "a postgresql:// store needs psycopg-pool; install it with "
            "pip install 'pochta[postgres]'"
        ) from None
    pool = ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        kwargs={"autocommit": True, **_SESSION},
        configure=_configure,
        check=ConnectionPool.check_connection,
        timeout=WAIT_TIMEOUT,
        reconnect_timeout=RECONNECT_TIMEOUT,
        reconnect_failed=lambda pool: None,  # the next caller tries again
        name="pochta",
        open=False,
    )
    pool.open(wait=False)
    return pool


def store_error(error: BaseException, url: str, doing: str) -> StoreError:
    """Translate a psycopg (or pool) failure into the StoreError that says what to do.

    No answer from the server (refused, reset, shut down, the pool's wait over)
    is StoreUnavailableError; a full disk is StoreFullError (SMTP 452).
    """
    if isinstance(error, StoreError):
        return error
    where = redact(url)
    reason = " ".join(str(error).split()) or type(error).__name__
    state = getattr(error, "sqlstate", None)
    if state == "53100":
        return StoreFullError(
            f"the disk of PostgreSQL at {where} is full, so pochta could not {doing}; "
            "free disk space or delete messages, then try again"
        )
    if _unreachable(error, state):
        return StoreUnavailableError(
            f"PostgreSQL at {where} is not answering, so pochta could not {doing}: "
            f"{reason}; pochta retries by itself, check that the server runs"
        )
    return StoreError(f"pochta could not {doing} in {where}: {reason}")


def _unreachable(error: BaseException, state: str | None) -> bool:
    import psycopg
    from psycopg_pool import PoolTimeout

    if isinstance(error, PoolTimeout | psycopg.InterfaceError):
        return True
    if not isinstance(error, psycopg.OperationalError):
        return False
    # No SQLSTATE: the server never answered. 08: connection exception; 57P0x: shut down.
    return state is None or state.startswith("08") or state in _SHUTDOWN


_SHUTDOWN = frozenset({"57P01", "57P02", "57P03"})
