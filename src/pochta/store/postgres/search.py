"""Answer searches in PostgreSQL: each :class:`~pochta.store.query.Term` becomes one condition.

The terms mean what they mean in the SQLite store (the same tests hold both
to it, tests/store/test_search.py):

- words and "phrases": PostgreSQL full-text search over the subject, every
  name and address, the text body, the HTML's visible text (what the text
  part lacks of it) and the attachments' file names, folded by
  :func:`pochta.store.fold.fold`. A word matches the start of a word, a
  phrase its words in order with the last one as a prefix; all word terms
  of a query become one ``tsquery`` (``&``, ``!``), answered by a GIN index.
  A value with no letters or digits is a substring of the subject and the
  addresses instead.
- ``from:`` ``to:`` ``cc:`` ``bcc:`` ``reply-to:`` ``addressed:``: a substring
  of ``name <address>`` of one mailbox, ignoring case; ``subject:`` of the
  subject; ``message-id:`` the whole Message-ID; ``tag:`` a whole tag, by
  :func:`~pochta.store.tag.tag_key` (case in every script).
- ``is:``/``has:`` flags, ``before:``/``after:`` (the time it was stored),
  ``larger:``/``smaller:`` (its size, inclusive); a leading ``-`` or ``!`` negates.

Words and ``has:`` find a message once an indexer has parsed it; the other
terms as soon as it is committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pochta.store.postgres.words import CONFIG, phrase_query
from pochta.store.query import Query, Term
from pochta.store.tag import tag_key

__all__ = ["Plan", "plan_query"]

_ADDRESS_COLUMNS = {
    "from": "addr_from",
    "to": "addr_to",
    "cc": "addr_cc",
    "bcc": "addr_bcc",
    "reply-to": "addr_reply_to",
}
_FLAGS = {
    ("is", "read"): "m.read",
    ("is", "unread"): "NOT m.read",
    ("is", "tagged"): "EXISTS (SELECT 1 FROM message_tag AS t WHERE t.seq = m.seq)",
    ("has", "attachment"): "m.attachments > 0",
    ("has", "inline"): "m.inline > 0",
}
_MATCH = f"m.words @@ to_tsquery('{CONFIG}', %s)"


@dataclass(frozen=True, slots=True)
class Plan:
    """A query as a condition on ``message AS m`` (``%s`` placeholders) and its values."""

    condition: str
    values: list[Any]


def plan_query(query: Query, mailbox: str | None = None) -> Plan:
    """Turn ``query`` into a :class:`Plan`, limited to ``mailbox`` when one is given."""
    conditions: list[str] = []
    values: list[Any] = []
    if mailbox is not None:
        conditions.append("m.mailbox = %s")
        values.append(mailbox)
    positive: list[str] = []
    negative: list[str] = []
    for term in query.terms:
        phrase = phrase_query(str(term.value)) if term.field == "text" else None
        if phrase is not None:
            (negative if term.negated else positive).append(f"({phrase})")
            continue
        sql, params = _condition(term)
        conditions.append(f"(NOT {sql})" if term.negated else sql)
        values.extend(params)
    if positive:
        conditions.append(_MATCH)
        values.append(" & ".join(positive + [f"!{phrase}" for phrase in negative]))
    elif negative:
        # An unindexed row has no words yet: "-word" must not claim it.
        conditions.append(f"(m.indexed AND NOT {_MATCH})")
        values.append(" | ".join(negative))
    # PostgreSQL text holds no NUL; no stored text has one either.
    values = [v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in values]
    return Plan(" AND ".join(conditions) or "true", values)


def _condition(term: Term) -> tuple[str, list[Any]]:
    field, value = term.field, term.value
    if field in _ADDRESS_COLUMNS:
        return f"(strpos(m.{_ADDRESS_COLUMNS[field]}, %s) > 0)", [value]
    if field == "addressed":
        sql = " OR ".join(f"strpos(m.{column}, %s) > 0" for column in _ADDRESS_COLUMNS.values())
        return f"({sql})", [value] * len(_ADDRESS_COLUMNS)
    if field == "subject":
        return "(strpos(m.subject_lower, %s) > 0)", [value]
    if field == "message-id":
        return "(lower(m.message_id) = lower(%s))", [str(value).strip().strip("<>").strip()]
    if field == "tag":
        return "(m.seq IN (SELECT t.seq FROM message_tag AS t WHERE t.folded = %s))", [
            tag_key(str(value))
        ]
    flag = _FLAGS.get((field, str(value)))
    if flag is not None:
        return f"({flag})", []
    if field in ("before", "after") and isinstance(value, datetime):
        return f"(m.created {'<' if field == 'before' else '>'} %s)", [value]
    if field in ("larger", "smaller") and isinstance(value, int):
        return f"(m.size {'>=' if field == 'larger' else '<='} %s)", [value]
    return _substring(str(value))


def _substring(value: str) -> tuple[str, list[Any]]:
    """Match a value without letters or digits as a substring of subject or addresses."""
    columns = ("subject_lower", *_ADDRESS_COLUMNS.values())
    sql = " OR ".join(f"strpos(m.{column}, %s) > 0" for column in columns)
    return f"({sql})", [value] * len(columns)
