"""Open the store's SQLite connections: checks, folder creation, pragmas, schema.

The writer's connection sets ``journal_mode=WAL`` (kept in the file) and
``synchronous=FULL``: each commit fsyncs the write-ahead log, so it survives
a power loss, not only a crash of the process. Readers are ``query_only``.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from pochta.exceptions import StoreError, StoreFormatError, StoreFullError
from pochta.store.sqlite.migration import migrate

__all__ = ["connect_reader", "connect_writer", "store_error"]

logger = logging.getLogger(__name__)

_SQLITE_HEADER = b"SQLite format 3\x00"
_BUSY_TIMEOUT = 10.0  # seconds; another process migrating or checkpointing


def store_error(exc: BaseException, path: Path, doing: str) -> StoreError:
    """Translate a failure into StoreFullError (disk full) or StoreError, naming ``path``."""
    if isinstance(exc, StoreError):
        return exc
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL:
        return StoreFullError(
            f"the disk holding {path} is full, so pochta could not {doing}; "
            "free disk space or delete messages, then try again"
        )
    return StoreError(f"pochta could not {doing} in {path}: {exc}")


def connect_writer(path: Path, synchronous: str = "FULL") -> sqlite3.Connection:
    """Return the writing connection to ``path``, creating or upgrading the store.

    ``synchronous`` is "FULL" (the default) or "NORMAL".

    Raises StoreFormatError for a file that is not a pochta store, StoreError
    when the place cannot be created, read or written.
    """
    _prepare_place(path)
    connection = _connect(path)
    try:
        # Takes effect only in a new, empty file, and must come before WAL is set:
        # lets delete(None) hand the space back (see changes.delete_all).
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            logger.warning("store %s runs in %s journal mode, not WAL", path, mode)
        connection.execute(
            f"PRAGMA synchronous = {'NORMAL' if synchronous == 'NORMAL' else 'FULL'}"
        )
        migrate(connection, path)
    except BaseException as exc:
        connection.close()
        if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
            raise StoreFormatError(
                f"{path} is not a pochta store (not a readable SQLite database); "
                "give pochta a new file name or move that file away"
            ) from exc
        if isinstance(exc, sqlite3.Error):
            raise store_error(exc, path, "open the store") from exc
        raise
    return connection


def connect_reader(path: Path) -> sqlite3.Connection:
    """Return a read-only connection to an already opened store."""
    connection = _connect(path)
    connection.execute("PRAGMA query_only = 1")
    return connection


def _connect(path: Path) -> sqlite3.Connection:
    try:
        return sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StoreError(
            f"cannot open the store {path} ({exc}); give a path you can write to"
        ) from exc


def _prepare_place(path: Path) -> None:
    """Create the folder and refuse a folder or a file that is not SQLite."""
    if path.is_dir():
        raise StoreError(
            f"{path} is a folder; give the store a file name, e.g. {path / 'pochta.db'}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder {path.parent} for the store ({exc.strerror}); "
            "give a path in a folder you can write to"
        ) from exc
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        head = b""
    except OSError as exc:
        raise StoreError(
            f"cannot read the store {path} ({exc.strerror}); check its permissions"
        ) from exc
    if head and head != _SQLITE_HEADER:
        raise StoreFormatError(
            f"{path} is not a pochta store (not an SQLite database); "
            "give pochta a new file name (it creates the file) or move that file away"
        )
