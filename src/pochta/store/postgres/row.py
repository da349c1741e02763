"""Rows of the PostgreSQL store's ``message`` table to and from :class:`Summary`.

The summary's fields that no query reads (addresses, date, snippet,
envelope, ...) live in one ``jsonb`` column in the same shape as the SQLite
store's JSON; the ones searches and lists read are columns of their own.
Tags live in ``message_tag`` only and are read back with each summary.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pochta.message.envelope import Envelope
from pochta.message.record import Address
from pochta.store.record import Summary

__all__ = [
    "CONTENT_COLUMNS",
    "READ_COLUMNS",
    "address_lines",
    "content_values",
    "summary_from_row",
]

#: What the indexer completes, in the order of :func:`content_values`.
CONTENT_COLUMNS = (
    "message_id",
    "subject",
    "summary",
    "addr_from",
    "addr_to",
    "addr_cc",
    "addr_bcc",
    "addr_reply_to",
    "subject_lower",
    "attachments",
    "inline",
)
#: The columns :func:`summary_from_row` reads, from ``message AS m``.
READ_COLUMNS = (
    "m.id, m.mailbox, m.created, m.read, m.size, m.message_id, m.subject, m.summary,"
    " m.indexed, ARRAY(SELECT t.tag FROM message_tag AS t WHERE t.seq = m.seq"
    " ORDER BY t.folded) AS tags"
)


def address_lines(addresses: tuple[Address, ...]) -> str:
    """Return the lower-cased "name <address>" of each mailbox, one a line (for searches)."""
    return "\n".join(f"{a.name} <{a.address}>".lower() for a in addresses)


def content_values(summary: Summary, inline: int) -> tuple[Any, ...]:
    """Return the values of :data:`CONTENT_COLUMNS` for one message."""
    rest = {
        "from": _address(summary.from_) if summary.from_ else None,
        "to": [_address(a) for a in summary.to],
        "cc": [_address(a) for a in summary.cc],
        "bcc": [_address(a) for a in summary.bcc],
        "reply_to": [_address(a) for a in summary.reply_to],
        "date": summary.date.isoformat() if summary.date else None,
        "snippet": summary.snippet,
        "attachments": summary.attachments,
        "envelope": _envelope(summary.envelope),
        "problem": summary.parse_problem,
    }
    sender = (summary.from_,) if summary.from_ else ()
    return (
        _text(summary.message_id),
        _text(summary.subject),
        _json(rest),
        _text(address_lines(sender)),
        _text(address_lines(summary.to)),
        _text(address_lines(summary.cc)),
        _text(address_lines(summary.bcc)),
        _text(address_lines(summary.reply_to)),
        _text(summary.subject.lower()),
        summary.attachments,
        inline,
    )


def _text(value: str) -> str:
    # PostgreSQL text cannot hold NUL (the parser gives U+FFFD for controls, but be sure).
    return value.replace("\x00", "\ufffd")


def _json(value: dict[str, Any]) -> str:
    # Nor can jsonb: an escaped NUL (not an escaped backslash before "u0000") becomes U+FFFD.
    return _NUL.sub(r"\1\\ufffd", json.dumps(value, separators=(",", ":")))


_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def summary_from_row(row: tuple[Any, ...]) -> Summary:
    """Rebuild a Summary from the :data:`READ_COLUMNS` of one row (``indexed`` aside)."""
    id, _mailbox, created, read, size, message_id, subject, rest, _indexed, tags = row
    if isinstance(rest, str):
        rest = json.loads(rest)
    return Summary(
        id=id,
        message_id=message_id,
        read=bool(read),
        from_=Address(*rest["from"]) if rest["from"] else None,
        to=_addresses(rest["to"]),
        cc=_addresses(rest["cc"]),
        bcc=_addresses(rest["bcc"]),
        reply_to=_addresses(rest["reply_to"]),
        subject=subject,
        created=created.astimezone(UTC),
        date=datetime.fromisoformat(rest["date"]) if rest["date"] else None,
        size=size,
        snippet=rest["snippet"],
        attachments=rest["attachments"],
        tags=tuple(tags or ()),
        envelope=_envelope_from(rest["envelope"]),
        parse_problem=rest["problem"],
    )


def _address(address: Address) -> list[str]:
    return [address.name, address.address]


def _addresses(items: list[list[str]]) -> tuple[Address, ...]:
    return tuple(Address(name, address) for name, address in items)


def _envelope(envelope: Envelope) -> dict[str, Any]:
    return {
        "mail_from": envelope.mail_from,
        "rcpt_tos": list(envelope.rcpt_tos),
        "client_address": envelope.client_address,
        "helo": envelope.helo,
        "tls": envelope.tls,
        "auth_user": envelope.auth_user,
        "source": envelope.source,
        "mail_options": list(envelope.mail_options),
    }


def _envelope_from(data: dict[str, Any]) -> Envelope:
    return Envelope(
        mail_from=data["mail_from"],
        rcpt_tos=tuple(data["rcpt_tos"]),
        client_address=data["client_address"],
        helo=data["helo"],
        tls=data["tls"],
        auth_user=data["auth_user"],
        source=data["source"],
        mail_options=tuple(data["mail_options"]),
    )
