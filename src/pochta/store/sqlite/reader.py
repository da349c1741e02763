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
from pochta.message.record import Checksums
from pochta.store.query import Query
from pochta.store.record import MessagePage, SearchPage, StoreInfo, Summary
from pochta.store.sqlite import search
from pochta.store.sqlite.connection import connect_read_only, connect_reader, store_error
from pochta.store.sqlite.row import (
    READ_COLUMNS,
    read_checksums,
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

    def count(self, mailbox: str | None = None) -> tuple[int, int]:
        """Return (total, unread) from the trigger-kept tallies: one row, any store size."""
        return self._read("count messages", lambda c: _scope(c, mailbox)[1])

    def mailbox_counts(self) -> list[tuple[str, int, int]]:
        """Return (name, total, unread) of every mailbox that holds or held messages."""
        return self._read("count the mailboxes", _mailbox_counts)

    def page(self, start: int, limit: int, mailbox: str | None = None) -> MessagePage:
        """Return ``limit`` summaries from position ``start``, newest first."""
        return self._read("list messages", lambda c: _page(c, start, limit, mailbox))

    def find_id(self, id_or_latest: str, mailbox: str | None = None) -> str | None:
        """Return ``id_or_latest`` if stored (the newest id for "latest"), else None."""
        return self._read("find a message", lambda c: _find_id(c, id_or_latest, mailbox))

    def summary(self, id: str, mailbox: str | None = None) -> Summary | None:
        """Return the Summary of message ``id`` (if it is in ``mailbox``), or None."""
        return self._read("read a message", lambda c: _in(c, id, mailbox, read_summary))

    def raw(self, id: str, mailbox: str | None = None) -> bytes | None:
        """Return the bytes of message ``id`` (if it is in ``mailbox``) as received, or None."""
        return self._read("read a message", lambda c: _in(c, id, mailbox, read_raw))

    def checksums(self, id: str) -> dict[str, tuple[int, Checksums]]:
        """Return {part id: (size, checksums)} of message ``id``'s files, as stored at indexing."""
        return self._read("read a message", lambda c: read_checksums(c, id))

    def search(
        self, query: Query, start: int, limit: int, mailbox: str | None = None
    ) -> SearchPage:
        """Return one page of the messages matching ``query``, newest first."""
        return self._read("search messages", lambda c: _search(c, query, start, limit, mailbox))

    def search_ids(self, query: Query, mailbox: str | None = None) -> list[str]:
        """Return the id of every message matching ``query``, newest first."""
        return self._read(
            "search messages", lambda c: search.search_ids(c, query, _scope(c, mailbox)[0])
        )

    def tag_counts(self, mailbox: str | None = None) -> dict[str, int]:
        """Return {tag: number of messages}, tags sorted without regard to case."""
        return self._read("list tags", lambda c: _tag_counts(c, _scope(c, mailbox)[0]))

    def info(self, mailbox: str | None = None) -> StoreInfo:
        """Return the facts of ``/api/v1/info`` about the store (or one mailbox)."""
        return self._read("read the store's facts", lambda c: _info(c, self._path, mailbox))

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


def _scope(
    connection: sqlite3.Connection, mailbox: str | None
) -> tuple[str | None, tuple[int, int]]:
    """Return the mailbox to filter on (None: no filter needed) and its (total, unread).

    A mailbox that holds every message (the one mailbox of most stores) needs
    no filter, so its searches keep the full-text index's quick paths.
    """
    whole = read_tally(connection)
    if mailbox is None:
        return None, whole
    row = connection.execute(
        "SELECT total, unread FROM mailbox_tally WHERE mailbox = ?", (mailbox,)
    ).fetchone()
    counts = (int(row[0]), int(row[1])) if row else (0, 0)
    return (None if counts[0] == whole[0] else mailbox), counts


def _mailbox_counts(connection: sqlite3.Connection) -> list[tuple[str, int, int]]:
    rows = connection.execute("SELECT mailbox, total, unread FROM mailbox_tally ORDER BY mailbox")
    return [(str(name), int(total), int(unread)) for name, total, unread in rows]


def _in(
    connection: sqlite3.Connection,
    id: str,
    mailbox: str | None,
    read: Callable[[sqlite3.Connection, str], T],
) -> T | None:
    """Read message ``id`` with ``read`` if it is in ``mailbox`` (any, for None)."""
    if mailbox is not None:
        row = connection.execute("SELECT mailbox FROM message WHERE id = ?", (id,)).fetchone()
        if row is None or row[0] != mailbox:
            return None
    return read(connection, id)


def _search(
    connection: sqlite3.Connection, query: Query, start: int, limit: int, mailbox: str | None
) -> SearchPage:
    scope, counts = _scope(connection, mailbox)
    return search.search_page(connection, query, start, limit, scope, counts)


def _page(
    connection: sqlite3.Connection, start: int, limit: int, mailbox: str | None
) -> MessagePage:
    scope, (total, unread) = _scope(connection, mailbox)
    where, values = ("", ()) if scope is None else ("WHERE m.mailbox = ?", (scope,))
    if total // 2 < start < total:
        # The older half is counted from the oldest end: an OFFSET steps over every
        # row before it, so the last page costs what the first does (the tally is exact).
        rows = connection.execute(
            f"SELECT {READ_COLUMNS} FROM message AS m {where} ORDER BY seq ASC LIMIT ? OFFSET ?",
            (*values, min(limit, total - start), max(total - start - limit, 0)),
        ).fetchall()[::-1]
    else:
        rows = connection.execute(
            f"SELECT {READ_COLUMNS} FROM message AS m {where} ORDER BY seq DESC LIMIT ? OFFSET ?",
            (*values, limit, start),
        ).fetchall()
    messages = read_summaries(connection, rows)
    return MessagePage(total=total, unread=unread, start=start, messages=messages)


def _find_id(connection: sqlite3.Connection, id_or_latest: str, mailbox: str | None) -> str | None:
    if id_or_latest == "latest":
        scope = _scope(connection, mailbox)[0]
        where, values = ("", ()) if scope is None else ("WHERE mailbox = ?", (scope,))
        row = connection.execute(
            f"SELECT id FROM message {where} ORDER BY seq DESC LIMIT 1", values
        ).fetchone()
    else:
        where, values = ("", ()) if mailbox is None else (" AND mailbox = ?", (mailbox,))
        row = connection.execute(
            f"SELECT id FROM message WHERE id = ?{where}", (id_or_latest, *values)
        ).fetchone()
    return None if row is None else str(row[0])


def _tag_counts(connection: sqlite3.Connection, mailbox: str | None) -> dict[str, int]:
    # One spelling per folded tag (the least, as PostgreSQL's store), sorted by the folded one.
    if mailbox is None:
        rows = connection.execute(
            "SELECT min(tag), count(*) FROM message_tag GROUP BY folded ORDER BY folded"
        ).fetchall()
    else:
        rows = connection.execute(
            "SELECT min(t.tag), count(*) FROM message_tag AS t JOIN message AS m USING (seq)"
            " WHERE m.mailbox = ? GROUP BY t.folded ORDER BY t.folded",
            (mailbox,),
        ).fetchall()
    return {str(tag): int(count) for tag, count in rows}


def _info(connection: sqlite3.Connection, path: Path, mailbox: str | None) -> StoreInfo:
    scope, (total, unread) = _scope(connection, mailbox)
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
        tags=_tag_counts(connection, scope),
        unindexed=int(unindexed[0]),
        schema=int(connection.execute("PRAGMA user_version").fetchone()[0]),
        engine=f"SQLite {sqlite3.sqlite_version}",
    )
