"""The read SQL of the PostgreSQL store: counts, pages, summaries, bytes, tags, searches.

Every function takes a connection from the pool (autocommit: each statement
sees what is committed when it starts) and an optional mailbox: None reads
every mailbox, a name only that one.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from pochta.message.record import Checksums
from pochta.store.postgres.row import READ_COLUMNS, summary_from_row
from pochta.store.postgres.search import plan_query
from pochta.store.query import Query
from pochta.store.record import SearchPage, Summary
from pochta.store.summary import listed_summary
from pochta.store.tag import tag_key

__all__ = [
    "count",
    "mailbox_counts",
    "newest_id",
    "read_checksums",
    "read_page",
    "read_raw",
    "read_summaries",
    "search_ids",
    "search_page",
    "tag_counts",
]


def _scope(mailbox: str | None, alias: str = "m") -> tuple[str, list[Any]]:
    if mailbox is None:
        return "true", []
    return f"{alias}.mailbox = %s", [mailbox]


def count(connection: Any, mailbox: str | None) -> tuple[int, int]:
    """Return (total, unread) from the trigger-kept tally: a row per mailbox."""
    where, values = _scope(mailbox, "t")
    row = connection.execute(
        f"SELECT coalesce(sum(total), 0), coalesce(sum(unread), 0) FROM tally AS t WHERE {where}",
        values,
    ).fetchone()
    return int(row[0]), int(row[1])


def mailbox_counts(connection: Any) -> list[tuple[str, int, int]]:
    """Return (name, total, unread) of every mailbox that has held a message, by name."""
    rows = connection.execute("SELECT mailbox, total, unread FROM tally ORDER BY mailbox")
    return [(str(name), int(total), int(unread)) for name, total, unread in rows]


def read_summaries(connection: Any, seqs: Sequence[int]) -> tuple[Summary, ...]:
    """Return the summaries of the rows ``seqs``, newest first.

    A row no indexer has reached yet holds what its headers said; a small one's
    summary is completed here from the raw bytes (not written back), a large
    one is listed as its headers said (:func:`~pochta.store.summary.listed_summary`).
    """
    if not seqs:
        return ()
    rows = connection.execute(
        f"SELECT {READ_COLUMNS} FROM message AS m WHERE m.seq = ANY(%s) ORDER BY m.seq DESC",
        (list(seqs),),
    ).fetchall()
    summaries = []
    for row in rows:
        summary = summary_from_row(row)
        if not row[8]:
            read = functools.partial(read_raw, connection, summary.id, None)
            summary = listed_summary(summary, read)
        summaries.append(summary)
    return tuple(summaries)


def read_summary(connection: Any, id: str, mailbox: str | None) -> Summary | None:
    """Return the Summary of message ``id`` (in ``mailbox``, if given), or None."""
    where, values = _scope(mailbox)
    row = connection.execute(
        f"SELECT m.seq FROM message AS m WHERE m.id = %s AND {where}", (id, *values)
    ).fetchone()
    return next(iter(read_summaries(connection, [row[0]])), None) if row else None


def read_page(connection: Any, mailbox: str | None, start: int, limit: int) -> list[int]:
    """Return the seqs of one page of the newest-first list."""
    where, values = _scope(mailbox)
    rows = connection.execute(
        f"SELECT m.seq FROM message AS m WHERE {where} ORDER BY m.seq DESC LIMIT %s OFFSET %s",
        (*values, limit, start),
    )
    return [int(seq) for (seq,) in rows]


def newest_id(connection: Any, mailbox: str | None) -> str | None:
    """Return the id of the newest message, or None when there is none."""
    where, values = _scope(mailbox)
    row = connection.execute(
        f"SELECT m.id FROM message AS m WHERE {where} ORDER BY m.seq DESC LIMIT 1", values
    ).fetchone()
    return None if row is None else str(row[0])


def read_checksums(connection: Any, id: str) -> dict[str, tuple[int, Checksums]]:
    """Return {part id: (size, checksums)} of message ``id``'s files, as stored at indexing."""
    rows = connection.execute(
        "SELECT c.part_id, c.size, c.md5, c.sha1, c.sha256 FROM message AS m"
        " JOIN message_checksum AS c USING (seq) WHERE m.id = %s",
        (id,),
    ).fetchall()
    return {str(part): (int(size), Checksums(*sums)) for part, size, *sums in rows}


def read_raw(connection: Any, id: str, mailbox: str | None) -> bytes | None:
    """Return the bytes of message ``id`` exactly as received, or None."""
    where, values = _scope(mailbox)
    row = connection.execute(
        "SELECT r.data FROM message AS m JOIN message_raw AS r USING (seq)"
        f" WHERE m.id = %s AND {where}",
        (id, *values),
        binary=True,
    ).fetchone()
    return None if row is None else bytes(row[0])


def search_page(
    connection: Any, query: Query, mailbox: str | None, start: int, limit: int
) -> SearchPage:
    """Return one page of the messages matching ``query``, newest first, with counts."""
    plan = plan_query(query, mailbox)
    total, unread = count(connection, mailbox)
    matched, matched_unread = connection.execute(
        "SELECT count(*), count(*) FILTER (WHERE NOT m.read)"
        f" FROM message AS m WHERE {plan.condition}",
        plan.values,
    ).fetchone()
    seqs = [
        int(seq)
        for (seq,) in connection.execute(
            f"SELECT m.seq FROM message AS m WHERE {plan.condition}"
            " ORDER BY m.seq DESC LIMIT %s OFFSET %s",
            (*plan.values, limit, start),
        )
    ]
    return SearchPage(
        total=total,
        unread=unread,
        matched=int(matched),
        matched_unread=int(matched_unread),
        start=start,
        messages=read_summaries(connection, seqs),
    )


def search_ids(connection: Any, query: Query, mailbox: str | None) -> list[str]:
    """Return the id of every message matching ``query``, newest first."""
    plan = plan_query(query, mailbox)
    rows = connection.execute(
        f"SELECT m.id FROM message AS m WHERE {plan.condition} ORDER BY m.seq DESC", plan.values
    )
    return [str(id) for (id,) in rows]


def tag_counts(connection: Any, mailbox: str | None) -> dict[str, int]:
    """Return each tag in use (one spelling per folded tag) and how many messages carry it."""
    where, values = _scope(mailbox)
    rows = connection.execute(
        "SELECT min(t.tag), count(*) FROM message_tag AS t JOIN message AS m USING (seq)"
        f" WHERE {where} GROUP BY t.folded",
        values,
    )
    found = {str(tag): int(n) for tag, n in rows}
    return dict(sorted(found.items(), key=lambda item: tag_key(item[0])))
