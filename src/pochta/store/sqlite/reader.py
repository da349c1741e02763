"""Read the store: one connection per thread, each read in one snapshot.

In WAL mode a reader sees the last commit and never waits for the writer,
so listing stays quick while a group of messages is being committed.
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from pochta.exceptions import StoreError
from pochta.store.record import MessagePage, StoreInfo, Summary
from pochta.store.sqlite.connection import connect_reader
from pochta.store.sqlite.indexer import complete_summary
from pochta.store.sqlite.row import summary_from_row
from pochta.store.sqlite.writer import store_error

__all__ = [
    "READ_COLUMNS",
    "Readers",
    "find_id",
    "read_info",
    "read_page",
    "read_raw",
    "read_summaries",
    "read_summary",
    "read_tag_counts",
    "read_tally",
]

#: The columns :func:`read_summaries` takes, from ``message AS m``.
READ_COLUMNS = "m.id, m.created, m.read, m.size, m.message_id, m.subject, m.summary, m.indexed"


class Readers:
    """Hand each thread its own read-only connection to one store file."""

    def __init__(self, path: Path) -> None:
        """Open nothing yet: a thread's connection is made on its first read."""
        self._path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    @contextmanager
    def snapshot(self, doing: str) -> Iterator[sqlite3.Connection]:
        """Yield this thread's connection inside one read transaction."""
        connection = self._connection()
        try:
            connection.execute("BEGIN")
            try:
                yield connection
            finally:
                connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise store_error(exc, self._path, doing) from exc

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and not self._closed:
            return connection
        with self._lock:
            if self._closed:
                raise StoreError(f"the store {self._path} is closed; open it again to read")
            connection = connect_reader(self._path)
            self._connections.append(connection)
        self._local.connection = connection
        return connection

    def close(self) -> None:
        """Close every thread's connection; later reads raise StoreError."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()


def read_tally(connection: sqlite3.Connection) -> tuple[int, int]:
    """Return (total, unread) from the trigger-kept tally: one row, any store size."""
    total, unread = connection.execute("SELECT total, unread FROM tally").fetchone()
    return int(total), int(unread)


def read_page(connection: sqlite3.Connection, start: int, limit: int) -> MessagePage:
    """Return ``limit`` summaries from position ``start``, newest first."""
    total, unread = read_tally(connection)
    rows = connection.execute(
        f"SELECT {READ_COLUMNS} FROM message AS m ORDER BY seq DESC LIMIT ? OFFSET ?",
        (limit, start),
    ).fetchall()
    messages = read_summaries(connection, rows)
    return MessagePage(total=total, unread=unread, start=start, messages=messages)


def find_id(connection: sqlite3.Connection, id_or_latest: str) -> str | None:
    """Return ``id_or_latest`` if stored (the newest id for "latest"), else None."""
    if id_or_latest == "latest":
        row = connection.execute("SELECT id FROM message ORDER BY seq DESC LIMIT 1").fetchone()
    else:
        row = connection.execute("SELECT id FROM message WHERE id = ?", (id_or_latest,)).fetchone()
    return None if row is None else str(row[0])


def read_summary(connection: sqlite3.Connection, id: str) -> Summary | None:
    """Return the Summary of message ``id``, or None."""
    row = connection.execute(f"SELECT {READ_COLUMNS} FROM message AS m WHERE id = ?", (id,))
    return next(iter(read_summaries(connection, row.fetchall())), None)


def read_summaries(
    connection: sqlite3.Connection, rows: list[tuple[Any, ...]]
) -> tuple[Summary, ...]:
    """Turn rows of :data:`READ_COLUMNS` into summaries.

    A row the indexer has not reached yet holds what the headers said; its
    summary is completed here from the raw bytes (not written back), so a
    reader never sees an empty snippet or attachment count for it.
    """
    summaries = []
    for row in rows:
        summary = summary_from_row(row[:7])
        if not row[7]:
            raw = read_raw(connection, summary.id)
            if raw is not None:
                summary = complete_summary(summary, raw)[0]
        summaries.append(summary)
    return tuple(summaries)


def read_raw(connection: sqlite3.Connection, id: str) -> bytes | None:
    """Return the bytes of message ``id`` as received (inflated if stored compressed)."""
    row = connection.execute(
        "SELECT r.encoding, r.data FROM message AS m JOIN message_raw AS r USING (seq)"
        " WHERE m.id = ?",
        (id,),
    ).fetchone()
    if row is None:
        return None
    encoding, data = row
    return zlib.decompress(data) if encoding == 1 else bytes(data)


def read_tag_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Return {tag: number of messages}, tags sorted without regard to case."""
    rows = connection.execute(
        "SELECT tag, count(*) FROM message_tag GROUP BY tag ORDER BY tag"
    ).fetchall()
    return {str(tag): int(count) for tag, count in rows}


def read_info(connection: sqlite3.Connection, path: Path) -> StoreInfo:
    """Return the facts of ``/api/v1/info`` about the store at ``path``."""
    total, unread = read_tally(connection)
    unindexed = connection.execute("SELECT count(*) FROM message WHERE indexed = 0").fetchone()
    size = 0
    for suffix in ("", "-wal"):
        with suppress(OSError):
            size += path.with_name(path.name + suffix).stat().st_size
    return StoreInfo(
        path=path,
        size_bytes=size,
        total=total,
        unread=unread,
        tags=read_tag_counts(connection),
        unindexed=int(unindexed[0]),
        schema=int(connection.execute("PRAGMA user_version").fetchone()[0]),
        sqlite_version=sqlite3.sqlite_version,
    )
