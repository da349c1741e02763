"""Decide in Python whether one stored message matches a search :class:`Query`.

The store answers searches with SQL; this is the same language checked against
one message already in hand, for code that hears about messages one at a time
(``GET /api/v1/wait`` checks each new message as the store announces it).
It follows Mailpit's meaning of each term: address and text fields match a
part of the value, case-insensitively; ``message-id:`` and ``tag:`` match the
whole value; bare words and phrases match anywhere in the subject, the
addresses, the attachment names and the body.

Bare words and ``has:inline`` need the parsed body: :func:`needs_parsed` tells
whether a query asks for it, so a caller parses only when it must::

    query = parse_query('to:bob "reset your password"')
    parsed = store.parsed(summary.id) if needs_parsed(query) else None
    if matches(query, summary, parsed):
        ...
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from pochta.store.links import html_text
from pochta.store.query import Query, Term
from pochta.store.records import Address, ParsedMessage, Summary

__all__ = ["matches", "needs_parsed", "search_text"]


def needs_parsed(query: Query) -> bool:
    """Return whether checking ``query`` needs the parsed message, not only its summary."""
    return any(t.field == "text" or (t.field, t.value) == ("has", "inline") for t in query.terms)


def matches(query: Query, summary: Summary, parsed: ParsedMessage | None = None) -> bool:
    """Return whether the message matches every term of ``query`` (no terms: always).

    Without ``parsed``, bare words are looked for in the summary's fields and
    snippet only, and ``has:inline`` never holds.
    """
    return all(_holds(term, summary, parsed) != term.negated for term in query.terms)


def search_text(summary: Summary, parsed: ParsedMessage | None = None) -> str:
    """Return the lower-cased text bare words are looked for in, whitespace collapsed."""
    addresses = _addresses(summary, "addressed")
    pieces = [summary.subject, *(f"{a.name} {a.address}" for a in addresses)]
    if parsed is None:
        pieces.append(summary.snippet)
    else:
        pieces.extend(part.filename for part in (*parsed.attachments, *parsed.inline))
        pieces.append(parsed.text)
        if parsed.html:
            pieces.append(html_text(parsed.html))
    return " ".join(" ".join(pieces).lower().split())


def _addresses(summary: Summary, field: str) -> Iterable[Address]:
    sender = (summary.from_,) if summary.from_ is not None else ()
    by_field = {
        "from": sender,
        "to": summary.to,
        "cc": summary.cc,
        "bcc": summary.bcc,
        "reply-to": summary.reply_to,
    }
    if field == "addressed":
        return [address for group in by_field.values() for address in group]
    return by_field[field]


def _holds(term: Term, summary: Summary, parsed: ParsedMessage | None) -> bool:
    field, value = term.field, term.value
    if field in ("from", "to", "cc", "bcc", "reply-to", "addressed"):
        return any(
            str(value) in f"{a.name} <{a.address}>".lower() for a in _addresses(summary, field)
        )
    if field == "subject":
        return str(value) in summary.subject.lower()
    if field == "message-id":
        return str(value).strip("<>") == summary.message_id.lower()
    if field == "tag":
        return any(str(value) == tag.lower() for tag in summary.tags)
    if field in ("is", "has"):
        return _flag(str(value), summary, parsed)
    if field in ("before", "after") and isinstance(value, datetime):
        return summary.created < value if field == "before" else summary.created > value
    if field in ("larger", "smaller") and isinstance(value, int):
        return summary.size >= value if field == "larger" else summary.size <= value
    return " ".join(str(value).split()) in search_text(summary, parsed)


def _flag(flag: str, summary: Summary, parsed: ParsedMessage | None) -> bool:
    if flag in ("read", "unread"):
        return summary.read == (flag == "read")
    if flag == "tagged":
        return bool(summary.tags)
    if flag == "attachment":
        return summary.attachments > 0
    return parsed is not None and bool(parsed.inline)
