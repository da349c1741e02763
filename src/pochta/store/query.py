"""Search text -> :class:`Query`, in Mailpit's search language.

The parser is pure and total: any text gives a :class:`Query` or a
:class:`~pochta.exceptions.QueryError` that names the bad term and the fix.
It knows nothing of SQL; the store turns a query into its own statements.

The language (Mailpit's, so its users need not relearn it)::

    invoice "password reset"          words and quoted phrases, anywhere in the text
    from:alice to:bob cc: bcc: reply-to: addressed: subject: message-id: tag:
    is:read is:unread is:tagged       has:attachment has:inline
    before:2026-01-31 after:2026-01-01T12:00
    larger:1M smaller:250K            sizes in bytes, K, M or G (powers of 1024)
    -word !from:spam@example.com      a leading - or ! negates a term
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from pochta.exceptions import QueryError

__all__ = ["ADDRESS_FIELDS", "TEXT_FIELDS", "Query", "Term", "parse_query"]

#: Prefixes that match part of an address (name or email).
ADDRESS_FIELDS = frozenset({"from", "to", "cc", "bcc", "reply-to", "addressed"})
#: Prefixes that match part of some other text.
TEXT_FIELDS = frozenset({"subject", "message-id", "tag"})
_FLAGS = {
    "is": {"read": "read", "unread": "unread", "tagged": "tagged"},
    "has": {
        "attachment": "attachment",
        "attachments": "attachment",
        "inline": "inline",
        "inlines": "inline",
    },
}
_SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "m": 1024**2, "mb": 1024**2, "g": 1024**3}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")
# A token: an optional negation, an optional prefix, then a quoted or bare value.
_TOKEN = re.compile(r'([-!]?)(?:([a-z-]+):)?("(?:[^"]*)(?:"|$)|\S*)', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Term:
    """One condition of a query.

    ``field`` is ``"text"`` for a bare word or phrase, an address or text
    field name, ``"is"``/``"has"`` for flags (``value`` then names the flag),
    ``"before"``/``"after"`` (``value`` is an aware ``datetime``) or
    ``"larger"``/``"smaller"`` (``value`` is a size in bytes).
    """

    field: str
    value: str | int | datetime
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    """Every term must hold for a message to match; no terms matches everything."""

    terms: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse_query(text: str, *, tz: tzinfo = UTC, today: date | None = None) -> Query:
    """Parse ``text`` in the search language into a :class:`Query`.

    ``tz`` is the time zone of dates without one (``before:2026-01-31`` means
    midnight there); ``today`` fixes the day ``before:today`` refers to.
    Unknown prefixes (``foo:bar``) are searched as plain text, as Mailpit does.
    """
    terms: list[Term] = []
    for match in _TOKEN.finditer(text):
        negation, prefix, raw = match.groups()
        value = _unquote(raw)
        if not prefix and not value:
            continue
        term = _term(prefix.lower() if prefix else "", value, raw, tz, today or date.today())
        if term is not None:
            terms.append(Term(term.field, term.value, negated=bool(negation)))
    return Query(tuple(terms))


def _unquote(raw: str) -> str:
    if raw.startswith('"'):
        raw = raw[1:-1] if len(raw) > 1 and raw.endswith('"') else raw[1:]
    return " ".join(raw.split())


def _term(prefix: str, value: str, raw: str, tz: tzinfo, today: date) -> Term | None:
    if prefix in ADDRESS_FIELDS or prefix in TEXT_FIELDS:
        return Term(prefix, value.lower()) if value else None
    if prefix in _FLAGS:
        flag = _FLAGS[prefix].get(value.lower())
        if flag is None:
            choices = ", ".join(
                f"{prefix}:{name}" for name in sorted(set(_FLAGS[prefix].values()))
            )
            raise QueryError(f"unknown flag {prefix}:{value!r}; use one of {choices}")
        return Term(prefix, flag)
    if prefix in ("before", "after"):
        return Term(prefix, _parse_when(prefix, value, tz, today))
    if prefix in ("larger", "smaller"):
        return Term(prefix, _parse_size(prefix, value))
    text = f"{prefix}:{value}" if prefix else value
    return Term("text", text.lower()) if text else None


def _parse_size(prefix: str, value: str) -> int:
    match = _SIZE.fullmatch(value.strip().lower())
    if match is None or match.group(2) not in _SIZE_UNITS:
        raise QueryError(f"{prefix}:{value!r} is not a size; write it like {prefix}:250K or 1.5M")
    size = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
    if size > 2**63 - 1:
        raise QueryError(f"{prefix}:{value!r} is larger than any message can be")
    return int(size)


def _parse_when(prefix: str, value: str, tz: tzinfo, today: date) -> datetime:
    word = value.strip().lower()
    if word in ("today", "yesterday"):
        day = today - timedelta(days=1 if word == "yesterday" else 0)
        return datetime.combine(day, time(), tz)
    try:
        when = datetime.fromisoformat(value.strip().replace("/", "-"))
    except ValueError:
        raise QueryError(
            f"{prefix}:{value!r} is not a date; write it like {prefix}:2026-01-31 "
            f"or {prefix}:2026-01-31T18:30"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=tz)
