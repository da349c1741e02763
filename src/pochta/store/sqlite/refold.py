"""Refold the search rows of a store written before schema 5, a batch at a time.

Schema 5 (``0005_fold.sql``) has ``message_search`` hold text folded by
:func:`~pochta.store.fold.fold`, so that ``елка`` finds ``Ёлка`` and words
match whatever their case in every script. Rows written before it hold the
text as it was; the migration only sets the meta key ``refold`` (the seq
done so far), so opening a big store stays quick. The
:class:`~pochta.store.sqlite.indexer.Indexer` then calls :func:`refold_all`
after each pass: it reads a batch on its reader connection, folds it there
(off the writer thread) and writes it on the writer, throttled like
indexing. A row changed meanwhile (reindexed, deleted) is left alone, so
two processes refolding one file cannot undo each other. The key goes when
every row is done; ``pochta reindex`` removes it as well.

Cost: the FTS5 update of each old message's text (a delete and an insert),
no parsing: about a tenth of ``reindex()``'s time (bench/fold.py, figures in
docs/store.md).
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pochta.store.fold import fold
from pochta.store.sqlite.reindex import read_batch
from pochta.store.sqlite.row import INSERT_TEXT

__all__ = ["RefoldWriter", "refold_all"]

T = TypeVar("T")
_BATCH = 256
_BATCH_CHARS = 4 * 1024 * 1024
_ROWS = (
    "SELECT seq, subject, addresses, body, files FROM message_search"
    " WHERE seq > ? ORDER BY seq LIMIT ?"
)
_UNCHANGED = (
    "DELETE FROM message_search WHERE seq = ? AND subject = ? AND addresses = ?"
    " AND body = ? AND files = ? RETURNING seq"
)


class RefoldWriter(Protocol):
    """What :func:`refold_all` needs of the store's writer."""

    def run(self, work: Callable[[sqlite3.Connection], T], what: str = "refolding") -> T:
        """Run ``work(connection)`` on the writer thread and return its result."""
        ...


def refold_all(
    reader: sqlite3.Connection,
    writer: RefoldWriter,
    pause: Callable[[float], None],
    stopping: Callable[[], bool],
) -> None:
    """Refold every row from the ``refold`` mark on; ``pause(seconds spent)`` throttles."""
    after = _mark(reader)
    while after is not None and not stopping():
        started = time.monotonic()
        rows = _batch(reader, after)
        folded = [(row, tuple(fold(text) for text in row[1:])) for row in rows]
        pause(time.monotonic() - started)
        writer.run(functools.partial(_write, batch=folded), "refolding")
        if not rows:
            return
        after = rows[-1][0]


def _mark(connection: sqlite3.Connection) -> int | None:
    row = connection.execute("SELECT value FROM meta WHERE key = 'refold'").fetchone()
    return None if row is None else int(row[0])


def _batch(connection: sqlite3.Connection, after: int) -> list[tuple[Any, ...]]:
    return read_batch(
        connection,
        _ROWS,
        after,
        rows=_BATCH,
        budget=_BATCH_CHARS,
        size=lambda row: sum(len(text) for text in row[1:]),
    )


def _write(
    connection: sqlite3.Connection,
    batch: list[tuple[tuple[Any, ...], tuple[str, ...]]],
) -> None:
    """Replace each row still as read by its folded text; move the mark (or drop it: done)."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        for row, folded in batch:
            if folded != row[1:] and connection.execute(_UNCHANGED, row).fetchone():
                connection.execute(INSERT_TEXT, (row[0], *folded))
        if batch:
            mark = str(batch[-1][0][0])
            connection.execute("UPDATE meta SET value = ? WHERE key = 'refold'", (mark,))
        else:
            connection.execute("DELETE FROM meta WHERE key = 'refold'")
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
