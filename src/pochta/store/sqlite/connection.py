"""Open the store's SQLite connections: identification, folder creation, pragmas, schema.

A file is identified before anything can write to it (:func:`identify`):
from its header alone (:mod:`pochta.store.sqlite.signature`), or through a
read-only connection when a write-ahead log beside it may hold newer commits.
Only a pochta store, a missing or an empty file gets a writing connection.

The writer's connection sets ``journal_mode=WAL`` (kept in the file) and
``synchronous=FULL`` (each commit fsyncs the write-ahead log, so it survives
a power loss, not only a crash of the process) or ``NORMAL`` (the log is
fsynced within 0.05 s by :mod:`pochta.store.sqlite.syncer`). Readers are ``query_only``;
a store opened read-only is read through ``mode=ro`` connections
(:func:`connect_read_only`), and ``immutable=1`` where not even the shared
memory file beside it can be made (a read-only folder or volume).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from pochta.exceptions import StoreError, StoreFormatError, StoreFullError
from pochta.store.sqlite.migration import LATEST_VERSION, check_identity, migrate
from pochta.store.sqlite.signature import read_header

__all__ = [
    "check_readable",
    "connect_checkpointer",
    "connect_read_only",
    "connect_reader",
    "connect_writer",
    "identify",
    "rebuildable_transaction",
    "set_synchronous",
    "store_error",
]

logger = logging.getLogger(__name__)

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
    identify(path)
    connection = _connect(path)
    try:
        # Takes effect only in a new, empty file, and must come before WAL is set:
        # lets delete(None) hand the space back (see changes.delete_all).
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            logger.warning("store %s runs in %s journal mode, not WAL", path, mode)
        set_synchronous(connection, synchronous)
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


def identify(path: Path) -> int:
    """Return the schema version of the store at ``path``: 0 for a missing or empty file.

    Writes nothing: StoreFormatError for a file that is not SQLite (never
    opened as SQLite), an SQLite database of another program, or a store of
    a newer pochta.
    """
    header = read_header(path)
    if header is None:
        return 0
    if not path.with_name(path.name + "-wal").exists():
        # No write-ahead log: the header is the whole truth.
        has_objects = header.schema_cookie != 0
        check_identity(path, header.application_id, header.user_version, has_objects=has_objects)
        return header.user_version
    connection = connect_read_only(path)
    try:
        application, version, objects = connection.execute(
            "SELECT (SELECT application_id FROM pragma_application_id),"
            " (SELECT user_version FROM pragma_user_version),"
            " (SELECT count(*) FROM sqlite_master)"
        ).fetchone()
    except sqlite3.Error as exc:
        raise store_error(exc, path, "read the store") from exc
    finally:
        connection.close()
    check_identity(path, int(application), int(version), has_objects=bool(objects))
    return int(version)


def check_readable(path: Path) -> None:
    """Refuse to read ``path`` unless it is a pochta store of this pochta's schema."""
    if not path.is_file():
        raise StoreError(f"no store at {path}; start `pochta serve` there first")
    version = identify(path)
    if version == 0:
        raise StoreFormatError(
            f"{path} is empty, not a pochta store yet; start `pochta serve` there"
        )
    if version < LATEST_VERSION:
        raise StoreFormatError(
            f"{path} was written by an older pochta (store schema {version}); open it once "
            "with `pochta serve` to upgrade it, then read it"
        )


def connect_read_only(path: Path) -> sqlite3.Connection:
    """Return a ``query_only`` connection to the pochta store at ``path``, wherever it lies.

    Where the file and its folder may be written, an ordinary connection (so
    that the last one to close removes the ``-wal`` and ``-shm`` files as
    usual); else ``mode=ro``; and where SQLite cannot open the file even so
    (its ``-shm`` cannot be made in a read-only folder or volume),
    ``immutable=1``, which reads the file alone: commits still in a
    write-ahead log there are not seen.
    """
    uri = path.absolute().as_uri()
    if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
        try:
            return _open_checked(uri)
        except sqlite3.Error as exc:
            raise store_error(exc, path, "read the store") from exc
    try:
        return _open_checked(f"{uri}?mode=ro")
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", 0) & 0xFF != sqlite3.SQLITE_CANTOPEN:
            raise store_error(exc, path, "read the store") from exc
    logger.debug("%s cannot be opened read-only; reading it as immutable", path)
    try:
        return _open_checked(f"{uri}?mode=ro&immutable=1")
    except sqlite3.Error as exc:
        raise store_error(exc, path, "read the store") from exc


def _open_checked(uri: str) -> sqlite3.Connection:
    """Open ``uri`` and read from it at once (SQLite opens the file on first use)."""
    connection = _open(uri)
    try:
        connection.execute("PRAGMA schema_version").fetchone()
    except BaseException:
        connection.close()
        raise
    connection.execute("PRAGMA query_only = 1")
    return connection


def _open(uri: str) -> sqlite3.Connection:
    return sqlite3.connect(
        uri, uri=True, timeout=_BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
    )


def connect_checkpointer(path: Path) -> sqlite3.Connection:
    """Return a connection that checkpoints an already opened store's write-ahead log.

    With ``synchronous=NORMAL`` its checkpoints sync the log before copying
    frames into the database file, and that file before the log is reused.
    It never waits for a lock: while another process checkpoints, its own
    checkpoint is skipped (the next one copies what this one would have).
    """
    connection = _connect(path)
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA busy_timeout = 0")
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
    """Refuse a folder; create the folder the store goes in."""
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


def set_synchronous(connection: sqlite3.Connection, synchronous: str) -> None:
    """Set SQLite's ``synchronous`` to "NORMAL", or to "FULL" for any other value."""
    connection.execute(f"PRAGMA synchronous = {'NORMAL' if synchronous == 'NORMAL' else 'FULL'}")


@contextlib.contextmanager
def rebuildable_transaction(connection: sqlite3.Connection, synchronous: str) -> Iterator[None]:
    """Run the block in one ``BEGIN IMMEDIATE ... COMMIT`` with ``synchronous=NORMAL``.

    For what can be rebuilt from the raw bytes (search rows, the indexer's
    summaries): a power loss may take it, the next start redoes it. Rolls
    back on any error; ``synchronous``, the store's own setting, is restored.
    """
    connection.execute("PRAGMA synchronous = NORMAL")
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        set_synchronous(connection, synchronous)
