"""The SQL of every change besides inserting: read flags, tags, deleting and pruning.

Each function runs one transaction on a pooled connection, notifies the
other catchers inside it (:func:`pochta.store.postgres.listener.notify`) and
returns the ``(id, mailbox)`` of each message it touched, for this
process's own events. ``mailbox`` None changes every mailbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pochta.store.limit import Limits
from pochta.store.postgres.listener import by_mailbox, notify
from pochta.store.tag import clean_tags, tag_key

__all__ = [
    "delete_all",
    "delete_ids",
    "notify_touched",
    "prune",
    "rename_tag",
    "set_read",
    "set_tags",
]

Touched = list[tuple[str, str]]


def _scope(mailbox: str | None, column: str = "mailbox") -> tuple[str, list[Any]]:
    return ("true", []) if mailbox is None else (f"{column} = %s", [mailbox])


def notify_touched(connection: Any, origin: str, kind: str, touched: Touched) -> None:
    """Notify a change of the messages ``touched``, inside the caller's transaction."""
    notify(connection, origin, kind, by_mailbox(touched))


def _run(connection: Any, origin: str, kind: str, sql: str, values: Sequence[Any]) -> Touched:
    """Run one statement ending in ``RETURNING id, mailbox`` and notify; in one transaction."""
    with connection.transaction():
        touched = [(str(id), str(box)) for id, box in connection.execute(sql, values)]
        if touched:
            notify(connection, origin, kind, by_mailbox(touched))
    return touched


def set_read(
    connection: Any, origin: str, mailbox: str | None, ids: Sequence[str] | None, read: bool
) -> Touched:
    """Set the read flag of ``ids`` (None: all); return the messages whose flag changed."""
    where, values = _scope(mailbox)
    sql = f"UPDATE message SET read = %s WHERE read <> %s AND {where}"
    params: list[Any] = [read, read, *values]
    if ids is not None:
        sql += " AND id = ANY(%s)"
        params.append(list(dict.fromkeys(ids)))
    return _run(connection, origin, "update", sql + " RETURNING id, mailbox", params)


def delete_ids(connection: Any, origin: str, mailbox: str | None, ids: Sequence[str]) -> Touched:
    """Delete the given messages (with their bytes and tags); return those found."""
    where, values = _scope(mailbox)
    sql = f"DELETE FROM message WHERE id = ANY(%s) AND {where} RETURNING id, mailbox"
    return _run(connection, origin, "delete", sql, [list(dict.fromkeys(ids)), *values])


def delete_all(connection: Any, origin: str, mailbox: str | None) -> int:
    """Delete every message (of ``mailbox``); return how many there were."""
    with connection.transaction():
        if mailbox is None:
            # One lock, then TRUNCATE: no row-by-row delete of a large store.
            connection.execute("LOCK TABLE message IN ACCESS EXCLUSIVE MODE")
            row = connection.execute("SELECT coalesce(sum(total), 0) FROM tally").fetchone()
            connection.execute("TRUNCATE message_tag, message_raw, message_checksum, message")
            connection.execute("DELETE FROM tally")
            count = int(row[0])
        else:
            cursor = connection.execute("DELETE FROM message WHERE mailbox = %s", (mailbox,))
            count = cursor.rowcount
        notify(connection, origin, "truncate", {mailbox: []})
    return count


def prune(connection: Any, limits: Limits) -> Touched:
    """Apply ``limits`` (age first, then count, over every mailbox); return what went.

    Runs inside the caller's transaction, which notifies.
    """
    pruned: Touched = []
    if limits.max_age is not None:
        cutoff = datetime.now(UTC) - limits.max_age
        rows = connection.execute(
            "DELETE FROM message WHERE created < %s RETURNING id, mailbox", (cutoff,)
        )
        pruned.extend((str(id), str(box)) for id, box in rows)
    if limits.max_messages > 0:
        row = connection.execute("SELECT coalesce(sum(total), 0) FROM tally").fetchone()
        if int(row[0]) > limits.max_messages:
            rows = connection.execute(
                "DELETE FROM message WHERE seq <= (SELECT seq FROM message"
                " ORDER BY seq DESC LIMIT 1 OFFSET %s) RETURNING id, mailbox",
                (limits.max_messages,),
            )
            pruned.extend((str(id), str(box)) for id, box in rows)
    return pruned


def set_tags(
    connection: Any, origin: str, mailbox: str | None, ids: Sequence[str], tags: Sequence[str]
) -> Touched:
    """Replace the tags of the messages ``ids``; return those found."""
    cleaned = clean_tags(tags)
    where, values = _scope(mailbox)
    with connection.transaction():
        found = connection.execute(
            f"SELECT seq, id, mailbox FROM message WHERE id = ANY(%s) AND {where}"
            " ORDER BY seq FOR UPDATE",
            [list(dict.fromkeys(ids)), *values],
        ).fetchall()
        seqs = [seq for seq, _, _ in found]
        connection.execute("DELETE FROM message_tag WHERE seq = ANY(%s)", (seqs,))
        pairs = [(seq, tag, tag_key(tag)) for seq in seqs for tag in cleaned]
        _insert_tags(connection, pairs)
        touched = [(str(id), str(box)) for _, id, box in found]
        if touched:
            notify(connection, origin, "update", by_mailbox(touched))
    return touched


def rename_tag(
    connection: Any, origin: str, mailbox: str | None, old: str, new: str | None
) -> Touched:
    """Rename tag ``old`` (ignoring case) to ``new``, or remove it (None); return what changed."""
    cleaned = clean_tags([new]) if new is not None else ()
    where, values = _scope(mailbox, "m.mailbox")
    with connection.transaction():
        rows = connection.execute(
            "DELETE FROM message_tag AS t USING message AS m"
            f" WHERE t.seq = m.seq AND t.folded = %s AND {where}"
            " RETURNING m.seq, m.id, m.mailbox",
            [tag_key(old), *values],
        ).fetchall()
        if cleaned:
            _insert_tags(
                connection, [(seq, cleaned[0], tag_key(cleaned[0])) for seq, _, _ in rows]
            )
        touched = [(str(id), str(box)) for _, id, box in rows]
        if touched:
            notify(connection, origin, "update", by_mailbox(touched))
    return touched


def _insert_tags(connection: Any, rows: Sequence[tuple[int, str, str]]) -> None:
    if rows:
        connection.execute(
            "INSERT INTO message_tag (seq, tag, folded)"
            " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[]) ON CONFLICT DO NOTHING",
            ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]),
        )
