"""``pochta reindex`` for SQLite: the summaries and the search index rebuilt from the raw bytes.

:func:`rebuild` works in three steps, each on the store's own threads:

1. On the writer, in one transaction, the search rows go and the FTS5 index
   is reset to an empty one. The reset rewrites the index's shadow tables
   with the records of a fresh in-memory FTS5 table, so it works even on an
   index too damaged for FTS5 to open (its structure record overwritten),
   where FTS5's own ``delete-all`` and ``rebuild`` fail.
2. Every indexed row, in arrival order and a batch at a time, is read on a
   reader connection, parsed like the indexer parses
   (:func:`~pochta.store.summary.complete_summary`) and written back: the
   summary columns and a new search row. The id, arrival time, read flag and
   bytes are not touched; the tags are those of ``message_tag`` (the summary
   JSON only copies them); the envelope is the summary's, or the headers'
   when the summary JSON itself is unreadable.
3. Rows not indexed yet are the indexer's: it is woken and waited for.

Nothing is announced: no message changed, only what is derived from it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pochta.message.envelope import envelope_for
from pochta.store.record import Summary
from pochta.store.sqlite.blob import unpack
from pochta.store.sqlite.connection import connect_reader
from pochta.store.sqlite.row import INSERT_TEXT, indexed_values, summary_from_row, text_values
from pochta.store.summary import SearchText, complete_summary, search_text

__all__ = ["Progress", "rebuild", "reset_search"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
Progress = Callable[[int, int], None]
"""Told ``(done, total)`` after each batch."""

_BATCH = 64
_BATCH_BYTES = 8 * 1024 * 1024
_ROWS = (
    "SELECT m.seq, m.id, m.created, m.read, m.size, m.message_id, m.subject, m.summary,"
    " r.encoding, r.data FROM message AS m JOIN message_raw AS r USING (seq)"
    " WHERE m.indexed = 1 AND m.seq > ? ORDER BY m.seq LIMIT ?"
)
# As UPDATE_INDEXED, for rows indexed already, with the tags taken from message_tag.
_REWRITE = (
    "UPDATE message SET message_id = ?, subject = ?, sender = ?,"
    " summary = json_set(?, '$.tags', json((SELECT json_group_array(tag) FROM"
    " (SELECT tag FROM message_tag WHERE seq = message.seq ORDER BY folded)))),"
    " addr_from = ?, addr_to = ?, addr_cc = ?, addr_bcc = ?, addr_reply_to = ?,"
    " subject_lower = ?, attachments = ?, inline = ?, indexed = ?"
    " WHERE id = ? AND indexed = 1 RETURNING seq"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SHADOWS = ("message_text_data", "message_text_idx", "message_text_docsize")


class RebuildWriter(Protocol):
    """What :func:`rebuild` needs of the store's writer."""

    def run(self, work: Callable[[sqlite3.Connection], T], what: str = "reindexing") -> T:
        """Run ``work(connection)`` on the writer thread and return its result."""
        ...


def reset_search(connection: sqlite3.Connection) -> None:
    """Empty the search rows and the FTS5 index in one transaction, whatever state they are in."""
    with contextlib.closing(sqlite3.connect(":memory:")) as fresh:
        fresh.execute("CREATE VIRTUAL TABLE t USING fts5(a)")
        empty = fresh.execute("SELECT id, block FROM t_data").fetchall()
    connection.execute("BEGIN IMMEDIATE")
    try:
        # The shadow tables first: no statement below may open the index while it is broken
        # (a trigger naming it opens it, even one whose WHEN is false).
        for table in _SHADOWS:
            connection.execute(f"DELETE FROM {table}")
        connection.executemany("INSERT INTO message_text_data (id, block) VALUES (?, ?)", empty)
        # With this key set, deleting search rows leaves the FTS5 index alone (0002_search.sql).
        connection.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('truncating', '1')")
        connection.execute("DELETE FROM message_search")
        connection.execute("DELETE FROM meta WHERE key = 'truncating'")
        # Every row is rewritten folded next: nothing is left to refold (refold.py).
        connection.execute("DELETE FROM meta WHERE key = 'refold'")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise


def rebuild(path: Path, writer: RebuildWriter, *, progress: Progress | None = None) -> int:
    """Rebuild the summaries and search rows of every indexed message; return how many."""
    writer.run(reset_search, "reindexing")
    reader = connect_reader(path)
    try:
        total = int(reader.execute("SELECT count(*) FROM message WHERE indexed = 1").fetchone()[0])
        done, after = 0, 0
        while rows := _batch(reader, after):
            after = rows[-1][0]
            batch = [_rebuilt(row) for row in rows]
            done += writer.run(functools.partial(_write, batch=batch), "reindexing")
            if progress is not None:
                progress(min(done, total), total)
    finally:
        reader.close()
    return done


def read_batch(
    connection: sqlite3.Connection,
    sql: str,
    after: int,
    *,
    rows: int,
    budget: int,
    size: Callable[[tuple[Any, ...]], int],
) -> list[tuple[Any, ...]]:
    """Read up to ``rows`` rows of ``sql`` (given ``after`` and ``rows``) in one snapshot.

    Stops early once ``size`` of the rows read reaches ``budget``, so a batch of
    large messages stays small in memory. Shared by the reindex and the refold.
    """
    found: list[tuple[Any, ...]] = []
    total = 0
    connection.execute("BEGIN")
    cursor = connection.execute(sql, (after, rows))
    try:
        for row in cursor:
            found.append(row)
            total += size(row)
            if total >= budget:
                break
    finally:
        cursor.close()
        connection.execute("COMMIT")
    return found


def _batch(connection: sqlite3.Connection, after: int) -> list[tuple[Any, ...]]:
    return read_batch(
        connection, _ROWS, after, rows=_BATCH, budget=_BATCH_BYTES, size=lambda row: len(row[9])
    )


def _rebuilt(row: tuple[Any, ...]) -> tuple[tuple[Any, ...], SearchText]:
    _, id, created, read, size, message_id, subject, data, encoding, blob = row
    raw = unpack(encoding, blob)
    try:
        old = summary_from_row((id, created, read, size, message_id, subject, data))
    except (ValueError, KeyError, TypeError, IndexError):
        logger.warning("the summary of message %s was unreadable; its envelope is lost", id)
        old = _stand_in(id, created, read, size, raw)
    summary, parsed = complete_summary(old, raw)
    return indexed_values(summary, len(parsed.inline)), search_text(parsed, summary)


def _stand_in(id: str, created: int, read: int, size: int, raw: bytes) -> Summary:
    # A summary whose JSON is broken: what the columns and the headers still tell.
    return Summary(
        id=id,
        message_id="",
        read=bool(read),
        from_=None,
        to=(),
        cc=(),
        bcc=(),
        reply_to=(),
        subject="",
        created=_EPOCH + timedelta(microseconds=created),
        date=None,
        size=size,
        snippet="",
        attachments=0,
        tags=(),  # the tags are message_tag's (see _REWRITE)
        envelope=envelope_for(raw, source="reindex"),
        parse_problem=None,
    )


def _write(connection: sqlite3.Connection, batch: list[tuple[tuple[Any, ...], SearchText]]) -> int:
    connection.execute("BEGIN IMMEDIATE")
    try:
        done = 0
        for values, text in batch:
            row = connection.execute(_REWRITE, values).fetchone()
            if row is not None:  # deleted meanwhile otherwise
                connection.execute("DELETE FROM message_search WHERE seq = ?", (row[0],))
                connection.execute(INSERT_TEXT, text_values(row[0], text))
                done += 1
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return done
