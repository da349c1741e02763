"""Convert between :class:`Summary` records and rows of the ``message`` table."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from pochta.message.envelope import Envelope
from pochta.message.record import Address, ParsedMessage
from pochta.store.record import Summary
from pochta.store.tag import clean_tags, plus_tags

__all__ = [
    "INSERT_MESSAGE",
    "SUMMARY_COLUMNS",
    "UPDATE_INDEXED",
    "address_lines",
    "indexed_values",
    "row_values",
    "summarise",
    "summary_from_row",
    "to_micros",
]

SUMMARY_COLUMNS = "id, created, read, size, message_id, subject, summary"
INSERT_MESSAGE = (
    "INSERT INTO message (id, created, read, size, message_id, subject, sender, summary,"
    " addr_from, addr_to, addr_cc, addr_bcc, addr_reply_to, subject_lower, attachments,"
    " inline, indexed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The indexer's completion of a row: everything but id, created, read and size;
# the tags stay those of the row (they may have changed since the insert).
UPDATE_INDEXED = (
    "UPDATE message SET message_id = ?, subject = ?, sender = ?,"
    " summary = json_set(?, '$.tags', json(json_extract(summary, '$.tags'))),"
    " addr_from = ?, addr_to = ?, addr_cc = ?, addr_bcc = ?, addr_reply_to = ?,"
    " subject_lower = ?, attachments = ?, inline = ?, indexed = ?"
    " WHERE id = ? AND indexed = 0 RETURNING seq"
)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def summarise(
    id: str, parsed: ParsedMessage, envelope: Envelope, created: datetime, read: bool = False
) -> Summary:
    """Make the Summary of a freshly parsed message.

    Bcc gains the hidden recipients (envelope recipients not in To or Cc);
    tags are the ``X-Tags`` header's and those of plus-addressed recipients.
    """
    shown = {a.address.lower() for a in (*parsed.to, *parsed.cc, *parsed.bcc)}
    hidden = [Address("", r) for r in dict.fromkeys(envelope.rcpt_tos) if r.lower() not in shown]
    bcc = (*parsed.bcc, *hidden)
    return Summary(
        id=id,
        message_id=parsed.message_id,
        read=read,
        from_=parsed.from_,
        to=parsed.to,
        cc=parsed.cc,
        bcc=bcc,
        reply_to=parsed.reply_to,
        subject=parsed.subject,
        created=created,
        date=parsed.date,
        size=parsed.size,
        snippet=parsed.snippet,
        attachments=len(parsed.attachments),
        tags=clean_tags((*parsed.tags, *plus_tags((*parsed.to, *parsed.cc, *bcc)))),
        envelope=envelope,
        parse_problem=parsed.problem,
    )


def row_values(summary: Summary, inline: int, indexed: bool) -> tuple[Any, ...]:
    """Return the values of :data:`INSERT_MESSAGE` for one message."""
    return (
        summary.id,
        to_micros(summary.created),
        int(summary.read),
        summary.size,
        *_content_values(summary, inline, indexed),
    )


def indexed_values(summary: Summary, inline: int) -> tuple[Any, ...]:
    """Return the values of :data:`UPDATE_INDEXED` for one message, its id last."""
    return (*_content_values(summary, inline, True), summary.id)


def address_lines(addresses: tuple[Address, ...]) -> str:
    """Return the lower-cased "name <address>" of each mailbox, one a line (for searches)."""
    return "\n".join(f"{a.name} <{a.address}>".lower() for a in addresses)


def _content_values(summary: Summary, inline: int, indexed: bool) -> tuple[Any, ...]:
    rest = {
        "from": _address(summary.from_) if summary.from_ else None,
        "to": [_address(a) for a in summary.to],
        "cc": [_address(a) for a in summary.cc],
        "bcc": [_address(a) for a in summary.bcc],
        "reply_to": [_address(a) for a in summary.reply_to],
        "date": summary.date.isoformat() if summary.date else None,
        "snippet": summary.snippet,
        "attachments": summary.attachments,
        "tags": list(summary.tags),
        "envelope": _envelope(summary.envelope),
        "problem": summary.parse_problem,
    }
    sender = (summary.from_,) if summary.from_ else ()
    return (
        summary.message_id,
        summary.subject,
        summary.from_.address if summary.from_ else "",
        json.dumps(rest, separators=(",", ":")),
        address_lines(sender),
        address_lines(summary.to),
        address_lines(summary.cc),
        address_lines(summary.bcc),
        address_lines(summary.reply_to),
        summary.subject.lower(),
        summary.attachments,
        inline,
        int(indexed),
    )


def summary_from_row(row: tuple[Any, ...]) -> Summary:
    """Rebuild a Summary from the ``SUMMARY_COLUMNS`` of one row."""
    id, created, read, size, message_id, subject, data = row
    rest = json.loads(data)
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
        created=_EPOCH + timedelta(microseconds=created),
        date=datetime.fromisoformat(rest["date"]) if rest["date"] else None,
        size=size,
        snippet=rest["snippet"],
        attachments=rest["attachments"],
        tags=tuple(rest["tags"]),
        envelope=_envelope_from(rest["envelope"]),
        parse_problem=rest["problem"],
    )


def to_micros(moment: datetime) -> int:
    """Return ``moment`` as whole microseconds since the Unix epoch (the ``created`` column)."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


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
