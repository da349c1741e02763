"""Read the SQLite store: one connection per thread, each read in one snapshot.

In WAL mode a reader sees the last commit and never waits for the writer,
so listing stays quick while a group of messages is being committed. The
:class:`Reader` answers every read of
:class:`~pochta.store.sqlite.store.SQLiteStore`; the SQL of one message's
rows is :mod:`pochta.store.sqlite.row`'s, that of searches
:mod:`pochta.store.sqlite.search`'s.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar

from pochta.exceptions import StoreError
from pochta.store.query import Query
from pochta.store.record import MessagePage, SearchPage, StoreInfo, Summary
from pochta.store.sqlite import search
from pochta.store.sqlite.connection import connect_read_only, connect_reader, store_error
from pochta.store.sqlite.row import (
    READ_COLUMNS,
    read_raw,
    read_summaries,
    read_summary,
    read_tally,
)

__all__ = ["Reader"]

T = TypeVar("T")


class Reader:
    """Answer reads of one store file, each in a snapshot of this thread's connection."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        """Open nothing yet: a thread's connection is made on its first read.

        ``read_only`` reads a store that must not be written at all, maybe in
        a read-only place (:func:`~pochta.store.sqlite.connection.connect_read_only`).
        """
        self._path = path
        self._connect = connect_read_only if read_only else connect_reader
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False

    def count(self) -> tuple[int, int]:
        """Return (total, unread) from the trigger-kept tally: one row, any store size."""
        return self._read("count messages", read_tally)

    def page(self, start: int, limit: int) -> MessagePage:
        """Return ``limit`` summaries from position ``start``, newest first."""
        return self._read("list messages", lambda c: _page(c, start, limit))

    def find_id(self, id_or_latest: str) -> str | None:
        """Return ``id_or_latest`` if stored (the newest id for "latest"), else None."""
        return self._read("find a message", lambda c: _find_id(c, id_or_latest))

    def summary(self, id: str) -> Summary | None:
        """Return the Summary of message ``id``, or None."""
        return self._read("read a message", lambda c: read_summary(c, id))

    def raw(self, id: str) -> bytes | None:
        """Return the bytes of message ``id`` as received, or None."""
        return self._read("read a message", lambda c: read_raw(c, id))

    def search(self, query: Query, start: int, limit: int) -> SearchPage:
        """Return one page of the messages matching ``query``, newest first."""
        return self._read("search messages", lambda c: search.search_page(c, query, start, limit))

    def search_ids(self, query: Query) -> list[str]:
        """Return the id of every message matching ``query``, newest first."""
        return self._read("search messages", lambda c: search.search_ids(c, query))

    def tag_counts(self) -> dict[str, int]:
        """Return {tag: number of messages}, tags sorted without regard to case."""
        return self._read("list tags", _tag_counts)

    def info(self) -> StoreInfo:
        """Return the facts of ``/api/v1/info`` about the store."""
        return self._read("read the store's facts", lambda c: _info(c, self._path))

    def close(self) -> None:
        """Close every thread's connection; later reads raise StoreError."""
        with self._lock:
            self._closed = True
            connections, self._connections = self._connections, []
        for connection in connections:
            connection.close()

    def _read(self, doing: str, read: Callable[[sqlite3.Connection], T]) -> T:
        with self._snapshot(doing) as connection:
            return read(connection)

    @contextmanager
    def _snapshot(self, doing: str) -> Iterator[sqlite3.Connection]:
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
            connection = self._connect(self._path)
            self._connections.append(connection)
        self._local.connection = connection
        return connection


def _page(connection: sqlite3.Connection, start: int, limit: int) -> MessagePage:
    total, unread = read_tally(connection)
    rows = connection.execute(
        f"SELECT {READ_COLUMNS} FROM message AS m ORDER BY seq DESC LIMIT ? OFFSET ?",
        (limit, start),
    ).fetchall()
    messages = read_summaries(connection, rows)
    return MessagePage(total=total, unread=unread, start=start, messages=messages)


def _find_id(connection: sqlite3.Connection, id_or_latest: str) -> str | None:
    if id_or_latest == "latest":
        row = connection.execute("SELECT id FROM message ORDER BY seq DESC LIMIT 1").fetchone()
    else:
        row = connection.execute("SELECT id FROM message WHERE id = ?", (id_or_latest,)).fetchone()
    return None if row is None else str(row[0])


def _tag_counts(connection: sqlite3.Connection) -> dict[str, int]:
    rows = connection.execute(
        "SELECT tag, count(*) FROM message_tag GROUP BY tag ORDER BY tag"
    ).fetchall()
    return {str(tag): int(count) for tag, count in rows}


def _info(connection: sqlite3.Connection, path: Path) -> StoreInfo:
    total, unread = read_tally(connection)
    unindexed = connection.execute("SELECT count(*) FROM message WHERE indexed = 0").fetchone()
    size = 0
    for suffix in ("", "-wal"):
        with suppress(OSError):
            size += path.with_name(path.name + suffix).stat().st_size
    return StoreInfo(
        location=str(path),
        size_bytes=size,
        total=total,
        unread=unread,
        tags=_tag_counts(connection),
        unindexed=int(unindexed[0]),
        schema=int(connection.execute("PRAGMA user_version").fetchone()[0]),
        engine=f"SQLite {sqlite3.sqlite_version}",
    )
