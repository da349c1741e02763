"""The SQL of every change besides inserting: read flags, deleting and pruning.

Each function takes the writer's connection (autocommit mode), runs one
transaction and returns the ``(id, mailbox)`` of each message it touched, for
the store's events. ``mailbox`` limits a change to one mailbox (None: all).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta

from pochta.message.record import ParsedMessage
from pochta.store.limit import Limits
from pochta.store.sqlite.connection import rebuildable_transaction
from pochta.store.sqlite.row import (
    INSERT_TEXT,
    UPDATE_INDEXED,
    text_values,
    to_micros,
    write_checksums,
)
from pochta.store.summary import SearchText

__all__ = [
    "Touched",
    "apply_index",
    "delete_all",
    "delete_ids",
    "prune",
    "prune_by_age",
    "prune_by_count",
    "set_read",
]

_CHUNK = 500  # below SQLite's default limit of bound parameters


def _chunks(ids: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def _marks(chunk: Sequence[str]) -> str:
    return ", ".join("?" * len(chunk))


Touched = list[tuple[str, str]]
"""The ``(id, mailbox)`` of each message a change touched."""


def _scope(mailbox: str | None) -> tuple[str, tuple[object, ...]]:
    """Return a condition limiting a statement to ``mailbox`` (None: every mailbox)."""
    return ("1", ()) if mailbox is None else ("mailbox = ?", (mailbox,))


def _transaction(
    connection: sqlite3.Connection, statements: Sequence[tuple[str, tuple[object, ...]]]
) -> Touched:
    """Run statements ending in ``RETURNING id, mailbox`` in one transaction; return the rows."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        touched: Touched = []
        for sql, values in statements:
            rows = connection.execute(sql, values).fetchall()
            touched.extend((str(id), str(mailbox)) for id, mailbox in rows)
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return touched


def set_read(
    connection: sqlite3.Connection,
    ids: Sequence[str] | None,
    read: bool,
    mailbox: str | None = None,
) -> Touched:
    """Set the read flag (of ``mailbox``'s messages); return the messages whose flag changed."""
    flag = int(read)
    where, values = _scope(mailbox)
    if ids is None:
        sql = f"UPDATE message SET read = ? WHERE read != ? AND {where} RETURNING id, mailbox"
        return _transaction(connection, [(sql, (flag, flag, *values))])
    statements = [
        (
            f"UPDATE message SET read = ? WHERE read != ? AND id IN ({_marks(c)}) AND {where}"
            " RETURNING id, mailbox",
            (flag, flag, *c, *values),
        )
        for c in _chunks(list(dict.fromkeys(ids)))
    ]
    return _transaction(connection, statements)


def delete_ids(
    connection: sqlite3.Connection, ids: Sequence[str], mailbox: str | None = None
) -> Touched:
    """Delete the given messages (summary and raw bytes together); return those found."""
    where, values = _scope(mailbox)
    statements = [
        (
            f"DELETE FROM message WHERE id IN ({_marks(c)}) AND {where} RETURNING id, mailbox",
            (*c, *values),
        )
        for c in _chunks(list(dict.fromkeys(ids)))
    ]
    return _transaction(connection, statements)


def delete_all(connection: sqlite3.Connection, mailbox: str | None = None) -> int:
    """Delete every message (of ``mailbox``) and shrink the file; return how many there were."""
    if mailbox is not None:
        sql = "DELETE FROM message WHERE mailbox = ? RETURNING id, mailbox"
        count = len(_transaction(connection, [(sql, (mailbox,))]))
    else:
        count = _delete_everything(connection)
    # Give the freed pages back to the file system (an auto_vacuum=INCREMENTAL file only).
    connection.execute("PRAGMA incremental_vacuum").fetchall()
    return count


def _delete_everything(connection: sqlite3.Connection) -> int:
    connection.execute("BEGIN IMMEDIATE")
    try:
        total = int(connection.execute("SELECT total FROM tally").fetchone()[0])
        connection.execute("DELETE FROM message_raw")
        connection.execute("DELETE FROM message_tag")
        connection.execute("DELETE FROM message_checksum")
        # The full-text index goes at once; see 0002_search.sql.
        connection.execute("INSERT INTO meta (key, value) VALUES ('truncating', '1')")
        connection.execute("INSERT INTO message_text (message_text) VALUES ('delete-all')")
        connection.execute("DELETE FROM message_search")
        connection.execute("DELETE FROM meta WHERE key = 'truncating'")
        connection.execute("DELETE FROM message")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return total


def prune(connection: sqlite3.Connection, limits: Limits) -> Touched:
    """Apply ``limits`` over every mailbox (age first, then count); return what went."""
    pruned: Touched = []
    if limits.max_age is not None:
        pruned.extend(prune_by_age(connection, limits.max_age))
    if limits.max_messages > 0:
        pruned.extend(prune_by_count(connection, limits.max_messages))
    return pruned


def prune_by_count(connection: sqlite3.Connection, keep: int) -> Touched:
    """Delete all but the newest ``keep`` messages; return what went."""
    total = int(connection.execute("SELECT total FROM tally").fetchone()[0])
    if total <= keep:
        return []
    sql = (
        "DELETE FROM message WHERE seq <= "
        "(SELECT seq FROM message ORDER BY seq DESC LIMIT 1 OFFSET ?) RETURNING id, mailbox"
    )
    return _transaction(connection, [(sql, (keep,))])


def prune_by_age(connection: sqlite3.Connection, max_age: timedelta) -> Touched:
    """Delete the messages stored longer ago than ``max_age``; return what went."""
    cutoff = to_micros(datetime.now(UTC) - max_age)
    if connection.execute("SELECT 1 FROM message WHERE created < ? LIMIT 1", (cutoff,)).fetchone():
        sql = "DELETE FROM message WHERE created < ? RETURNING id, mailbox"
        return _transaction(connection, [(sql, (cutoff,))])
    return []


def apply_index(
    connection: sqlite3.Connection,
    batch: Sequence[tuple[tuple[object, ...], SearchText, ParsedMessage]],
    synchronous: str = "FULL",
) -> Touched:
    """Complete rows the indexer parsed: (UPDATE_INDEXED values, full-text row, parse) each.

    The parse's file checksums are stored with the row.

    Rows deleted meanwhile, or indexed already (by another process), are
    skipped. Commits with ``synchronous=NORMAL``: all of it can be rebuilt
    from the raw bytes, which were committed with FULL; ``synchronous`` is
    the store's own setting, restored afterwards. Returns the messages done.
    """
    done: Touched = []
    with rebuildable_transaction(connection, synchronous):
        for values, text, parsed in batch:
            row = connection.execute(UPDATE_INDEXED, values).fetchone()
            if row is not None:
                connection.execute("DELETE FROM message_search WHERE seq = ?", (row[0],))
                connection.execute(INSERT_TEXT, text_values(row[0], text))
                write_checksums(connection, row[0], parsed)
                done.append((str(values[-1]), str(row[1])))
    return done
