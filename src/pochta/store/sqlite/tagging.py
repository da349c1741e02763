"""The SQL of message tags in the SQLite store: write, set, rename, delete.

What a tag may be is :mod:`pochta.store.tag`'s rule. Here, tags compare by
their ``folded`` column, :func:`~pochta.store.tag.tag_key` (case in every
script). A message's tags live in ``message_tag`` (one row per tag, in the
spelling given) and, sorted, in the summary JSON, which the functions here
keep in step.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from pochta.store.tag import clean_tags, tag_key

__all__ = [
    "delete_tag",
    "rename_tag",
    "set_tags",
    "write_tags",
]


_SYNC_JSON = (
    "UPDATE message SET summary = json_set(summary, '$.tags', json(("
    " SELECT json_group_array(tag) FROM (SELECT tag FROM message_tag"
    " WHERE message_tag.seq = message.seq ORDER BY folded))))"
    " WHERE seq = ? RETURNING id, mailbox"
)


def write_tags(connection: sqlite3.Connection, seq: int, tags: Sequence[str]) -> None:
    """Insert the tag rows of a new message (inside the caller's transaction)."""
    connection.executemany(
        "INSERT OR IGNORE INTO message_tag (tag, folded, seq) VALUES (?, ?, ?)",
        [(t, tag_key(t), seq) for t in tags],
    )


def set_tags(
    connection: sqlite3.Connection,
    ids: Sequence[str],
    tags: Sequence[str],
    mailbox: str | None = None,
) -> list[tuple[str, str]]:
    """Replace the tags of the messages ``ids`` (of ``mailbox``); return those found."""
    cleaned = clean_tags(tags)
    where = "1" if mailbox is None else "mailbox = ?"
    scope = () if mailbox is None else (mailbox,)
    connection.execute("BEGIN IMMEDIATE")
    try:
        changed: list[tuple[str, str]] = []
        for id in dict.fromkeys(ids):
            row = connection.execute(
                f"SELECT seq, mailbox FROM message WHERE id = ? AND {where}", (id, *scope)
            ).fetchone()
            if row is None:
                continue
            connection.execute("DELETE FROM message_tag WHERE seq = ?", (row[0],))
            write_tags(connection, row[0], cleaned)
            connection.execute(_SYNC_JSON, (row[0],))
            changed.append((id, str(row[1])))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return changed


def rename_tag(
    connection: sqlite3.Connection, old: str, new: str, mailbox: str | None = None
) -> list[tuple[str, str]]:
    """Rename tag ``old`` to ``new`` on every message (of ``mailbox``); return those changed."""
    cleaned = clean_tags([new])
    return _retag(connection, old, cleaned[0] if cleaned else None, mailbox)


def delete_tag(
    connection: sqlite3.Connection, tag: str, mailbox: str | None = None
) -> list[tuple[str, str]]:
    """Remove ``tag`` from every message (of ``mailbox``); return those changed."""
    return _retag(connection, tag, None, mailbox)


def _retag(
    connection: sqlite3.Connection, old: str, new: str | None, mailbox: str | None
) -> list[tuple[str, str]]:
    where = "" if mailbox is None else " AND seq IN (SELECT seq FROM message WHERE mailbox = ?)"
    scope = () if mailbox is None else (mailbox,)
    connection.execute("BEGIN IMMEDIATE")
    try:
        seqs = [
            row[0]
            for row in connection.execute(
                f"DELETE FROM message_tag WHERE folded = ?{where} RETURNING seq",
                (tag_key(old), *scope),
            ).fetchall()
        ]
        if new is not None:
            connection.executemany(
                "INSERT OR IGNORE INTO message_tag (tag, folded, seq) VALUES (?, ?, ?)",
                [(new, tag_key(new), seq) for seq in seqs],
            )
        found = []
        for seq in seqs:
            id, box = connection.execute(_SYNC_JSON, (seq,)).fetchone()
            found.append((str(id), str(box)))
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    return found
