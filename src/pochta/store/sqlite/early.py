"""First words: search rows for messages the indexer has not parsed yet.

While the writer takes many messages a second, the
:class:`~pochta.store.sqlite.indexer.Indexer` parses at a tenth of its time,
so the full parse of a burst's messages ends after the burst. So that a word
search finds a message within milliseconds of its ``250`` even then, the
search first has the indexer (:meth:`Indexer.first_words`) give every row
committed since the last time a first row of the full-text index, all in one
transaction: the subject, the names and addresses (the search columns the
commit already holds) and the text body when
:func:`~pochta.message.glance.glance_text` finds it plainly. The indexer's
full row replaces it (:func:`~pochta.store.sqlite.change.apply_index`
deletes the row first).

Nothing here runs before a ``250``, nor while nobody searches words.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from pochta.message.glance import MAX_GLANCE, glance_text
from pochta.store.sqlite.blob import unpack
from pochta.store.sqlite.connection import rebuildable_transaction
from pochta.store.sqlite.row import text_values
from pochta.store.summary import MAX_BODY, SearchText

__all__ = ["read_new", "write_first_words"]

_NEW = (
    "SELECT m.seq, m.size, m.subject,"
    " m.addr_from, m.addr_to, m.addr_cc, m.addr_bcc, m.addr_reply_to,"
    f" r.encoding, CASE WHEN m.size <= {MAX_GLANCE} THEN r.data END"
    " FROM message AS m JOIN message_raw AS r USING (seq)"
    " WHERE m.indexed = 0 AND m.seq > ? ORDER BY m.seq LIMIT ?"
)
# Only for a row still there and still unindexed (a delete or another process's
# indexer may have come first); OR IGNORE: a search row there already stays.
_INSERT = (
    "INSERT OR IGNORE INTO message_search (seq, subject, addresses, body, files)"
    " SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM message WHERE seq = ? AND indexed = 0)"
)


def read_new(
    connection: sqlite3.Connection, after: int, limit: int
) -> list[tuple[int, SearchText]]:
    """Return the first search text of up to ``limit`` unindexed rows after ``after``."""
    connection.execute("BEGIN")
    try:
        rows: list[tuple[Any, ...]] = connection.execute(_NEW, (after, limit)).fetchall()
    finally:
        connection.execute("COMMIT")
    found = []
    for seq, _, subject, *addresses, encoding, data in rows:
        body = glance_text(unpack(encoding, data))[:MAX_BODY] if data is not None else ""
        found.append((int(seq), SearchText(subject, "\n".join(addresses), body, "")))
    return found


def write_first_words(
    connection: sqlite3.Connection, texts: list[tuple[int, SearchText]], synchronous: str
) -> None:
    """Insert the first search rows (on the writer), committed with ``synchronous=NORMAL``.

    Like the indexer's own rows, they can be rebuilt from the raw bytes;
    ``synchronous`` is the store's setting, restored afterwards.
    """
    with rebuildable_transaction(connection, synchronous):
        connection.executemany(_INSERT, [(*text_values(s, t), s) for s, t in texts])
