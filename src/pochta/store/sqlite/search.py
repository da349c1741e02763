"""Answer searches in SQL: each :class:`~pochta.store.query.Term` becomes one condition.

What each term means (Mailpit's meaning, checked against the same messages
by tests/store/test_search.py):

- words and "phrases": the full-text index (FTS5, ``unicode61``) over the
  subject, every name and address, the text body, the HTML's visible text
  (what the text part lacks of it) and attachment file names, all folded by
  :func:`~pochta.store.fold.fold` (case in every script, accents, ``ё`` as
  ``е``) before they are indexed, as the searched words are. A word matches
  *the start of a word*: ``reset`` finds "password-reset" and "resetting",
  ``set`` does not find "reset". A phrase matches its words in order, the
  last one as a prefix. A value with no letters or digits (``+``, ``--``)
  is looked for as a substring of the subject and the addresses instead.
- ``from:`` ``to:`` ``cc:`` ``bcc:`` ``reply-to:`` ``addressed:`` (any of
  them): a substring of ``name <address>`` of one mailbox, ignoring case.
- ``subject:`` a substring of the subject; ``message-id:`` the whole
  Message-ID (angle brackets optional); ``tag:`` a whole tag, whatever its
  case in any script (:func:`~pochta.store.tag.tag_key`); these ignore case.
- ``is:read|unread|tagged``, ``has:attachment|inline``; ``before:``/``after:``
  compare the time the message was stored; ``larger:``/``smaller:`` its size
  in bytes, inclusive.
- A leading ``-`` or ``!`` negates a term.

A message is found by ``has:`` and by the words only the full parse finds
once the indexer has reached it (at the latest when its "new" event is
delivered); the other terms find it as soon as it is committed, and so do
the words of its subject, addresses and plainly found text body, which
:meth:`SQLiteStore.search` has written first (:mod:`pochta.store.sqlite.early`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pochta.store.fold import fold
from pochta.store.query import Query, Term
from pochta.store.record import SearchPage
from pochta.store.sqlite.row import READ_COLUMNS, read_summaries, read_tally, to_micros
from pochta.store.tag import tag_key

__all__ = ["Plan", "plan_query", "search_ids", "search_page", "where"]

_ADDRESS_COLUMNS = {
    "from": "addr_from",
    "to": "addr_to",
    "cc": "addr_cc",
    "bcc": "addr_bcc",
    "reply-to": "addr_reply_to",
}
_FLAGS = {
    ("is", "read"): "m.read = 1",
    ("is", "unread"): "m.read = 0",
    ("is", "tagged"): "EXISTS (SELECT 1 FROM message_tag AS t WHERE t.seq = m.seq)",
    ("has", "attachment"): "m.attachments > 0",
    ("has", "inline"): "m.inline > 0",
}
_FTS = "SELECT rowid FROM message_text WHERE message_text MATCH ?"


@dataclass(frozen=True, slots=True)
class Plan:
    """A query in SQL: a condition on ``message AS m`` and, for a query of
    words alone, the one full-text expression that answers it."""

    condition: str
    values: list[Any]
    words: str | None = None


def where(query: Query) -> tuple[str, list[Any]]:
    """Return an SQL condition on ``message AS m`` for every term, and its parameters."""
    plan = plan_query(query)
    return plan.condition, plan.values


def plan_query(query: Query, mailbox: str | None = None) -> Plan:
    """Turn ``query`` into a :class:`Plan`: all word terms become one FTS5 expression."""
    conditions: list[str] = [] if mailbox is None else ["(m.mailbox = ?)"]
    values: list[Any] = [] if mailbox is None else [mailbox]
    positive: list[str] = []
    negative: list[str] = []
    for term in query.terms:
        folded = fold(str(term.value)) if term.field == "text" else ""
        if folded:
            (negative if term.negated else positive).append(_phrase(folded))
            continue
        sql, params = _condition(term)
        conditions.append(f"(NOT {sql})" if term.negated else sql)
        values.extend(params)
    words = None
    if positive:
        words = " AND ".join(positive)
        for phrase in negative:
            words = f"({words}) NOT {phrase}"
        conditions.insert(0, f"(m.seq IN ({_FTS}))")
        values.insert(0, words)
    else:
        # An unindexed row is not in the word index yet: "-word" must not claim it.
        for phrase in negative:
            conditions.append(f"(m.indexed = 1 AND NOT m.seq IN ({_FTS}))")
            values.append(phrase)
    only_words = words is not None and len(conditions) == 1
    return Plan(" AND ".join(conditions) or "1", values, words if only_words else None)


def _phrase(folded: str) -> str:
    """Return folded words (letters, digits, spaces) as an FTS5 phrase, the last a prefix."""
    return f'"{folded}"*'


def _condition(term: Term) -> tuple[str, list[Any]]:
    field, value = term.field, term.value
    if field in _ADDRESS_COLUMNS:
        return f"(instr(m.{_ADDRESS_COLUMNS[field]}, ?) > 0)", [value]
    if field == "addressed":
        sql = " OR ".join(f"instr(m.{column}, ?) > 0" for column in _ADDRESS_COLUMNS.values())
        return f"({sql})", [value] * len(_ADDRESS_COLUMNS)
    if field == "subject":
        return "(instr(m.subject_lower, ?) > 0)", [value]
    if field == "message-id":
        return "(m.message_id = ? COLLATE NOCASE)", [str(value).strip().strip("<>").strip()]
    if field == "tag":
        return "(m.seq IN (SELECT seq FROM message_tag WHERE folded = ?))", [tag_key(str(value))]
    flag = _FLAGS.get((field, str(value)))
    if flag is not None:
        return f"({flag})", []
    if field in ("before", "after") and isinstance(value, datetime):
        return f"(m.created {'<' if field == 'before' else '>'} ?)", [to_micros(value)]
    if field in ("larger", "smaller") and isinstance(value, int):
        return f"(m.size {'>=' if field == 'larger' else '<='} ?)", [value]
    return _words(str(value))


def _words(value: str) -> tuple[str, list[Any]]:
    """Match a value without letters or digits as a substring of subject or addresses."""
    columns = ("subject_lower", *_ADDRESS_COLUMNS.values())
    sql = " OR ".join(f"instr(m.{column}, ?) > 0" for column in columns)
    return f"({sql})", [value] * len(columns)


def search_page(
    connection: sqlite3.Connection,
    query: Query,
    start: int,
    limit: int,
    mailbox: str | None = None,
    counts: tuple[int, int] | None = None,
) -> SearchPage:
    """Return one page of the messages matching ``query``, newest first, with counts."""
    plan = plan_query(query, mailbox)
    total, unread = counts or read_tally(connection)
    if plan.words is not None:
        # Words alone: the full-text index counts and orders by itself.
        matched = connection.execute(f"SELECT count(*) FROM ({_FTS})", (plan.words,)).fetchone()[0]
        matched_unread = _unread_among(connection, plan.words, matched, total, unread)
        seqs = connection.execute(
            f"{_FTS} ORDER BY rowid DESC LIMIT ? OFFSET ?", (plan.words, limit, start)
        ).fetchall()
    else:
        matched, matched_unread = connection.execute(
            "SELECT count(*), coalesce(sum(m.read = 0), 0)"
            f" FROM message AS m INDEXED BY message_find WHERE {plan.condition}",
            plan.values,
        ).fetchone()
        seqs = connection.execute(
            f"SELECT m.seq FROM message AS m INDEXED BY message_find WHERE {plan.condition}"
            " ORDER BY m.seq DESC LIMIT ? OFFSET ?",
            (*plan.values, limit, start),
        ).fetchall()
    rows = connection.execute(
        f"SELECT {READ_COLUMNS} FROM message AS m WHERE m.seq IN ({', '.join('?' * len(seqs))})"
        " ORDER BY m.seq DESC",
        [seq for (seq,) in seqs],
    ).fetchall()
    return SearchPage(
        total=total,
        unread=unread,
        matched=int(matched),
        matched_unread=int(matched_unread),
        start=start,
        messages=read_summaries(connection, rows),
    )


def _unread_among(
    connection: sqlite3.Connection, words: str, matched: int, total: int, unread: int
) -> int:
    """Count the unread messages among the word matches, probing the smaller side."""
    if unread in (0, total) or matched == 0:
        return matched if unread == total else 0
    if unread <= total - unread:
        sql = "FROM message AS m INDEXED BY message_unread WHERE m.read = 0"
        return int(
            connection.execute(
                f"SELECT count(*) {sql} AND m.seq IN ({_FTS})", (words,)
            ).fetchone()[0]
        )
    sql = "FROM message AS m INDEXED BY message_was_read WHERE m.read = 1"
    was_read = connection.execute(f"SELECT count(*) {sql} AND m.seq IN ({_FTS})", (words,))
    return matched - int(was_read.fetchone()[0])


def search_ids(
    connection: sqlite3.Connection, query: Query, mailbox: str | None = None
) -> list[str]:
    """Return the id of every message matching ``query``, newest first."""
    plan = plan_query(query, mailbox)
    rows = connection.execute(
        f"SELECT m.id FROM message AS m WHERE {plan.condition} ORDER BY m.seq DESC", plan.values
    )
    return [str(row[0]) for row in rows]
