"""Rows of the ``message`` tables to and from :class:`Summary` and search records.

The SQL of one message's rows lives here: inserting it, completing it after
indexing, and reading summaries and bytes back (each read inside the
caller's transaction).
"""

from __future__ import annotations

import functools
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

from pochta.message.envelope import Envelope
from pochta.message.record import Address, Checksums, ParsedMessage
from pochta.store.fold import fold
from pochta.store.record import Summary
from pochta.store.sqlite.blob import unpack
from pochta.store.summary import SearchText, listed_summary

__all__ = [
    "INSERT_MESSAGE",
    "INSERT_TEXT",
    "READ_COLUMNS",
    "SUMMARY_COLUMNS",
    "UPDATE_INDEXED",
    "address_lines",
    "indexed_values",
    "read_blob",
    "read_checksums",
    "read_raw",
    "read_summaries",
    "read_summary",
    "read_tally",
    "row_values",
    "summary_from_row",
    "text_values",
    "to_micros",
    "write_checksums",
]

SUMMARY_COLUMNS = "id, created, read, size, message_id, subject, summary"
# seq first: the writer gives a group's rows theirs (the next after the highest,
# as SQLite itself would), so that one executemany inserts the whole group.
INSERT_MESSAGE = (
    "INSERT INTO message (seq, id, created, read, size, message_id, subject, sender, summary,"
    " addr_from, addr_to, addr_cc, addr_bcc, addr_reply_to, subject_lower, attachments,"
    " inline, indexed, mailbox)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
# The indexer's completion of a row: everything but id, created, read and size;
# the tags stay those of the row (they may have changed since the insert).
UPDATE_INDEXED = (
    "UPDATE message SET message_id = ?, subject = ?, sender = ?,"
    " summary = json_set(?, '$.tags', json(json_extract(summary, '$.tags'))),"
    " addr_from = ?, addr_to = ?, addr_cc = ?, addr_bcc = ?, addr_reply_to = ?,"
    " subject_lower = ?, attachments = ?, inline = ?, indexed = ?"
    " WHERE id = ? AND indexed = 0 RETURNING seq, mailbox"
)
INSERT_TEXT = (
    "INSERT INTO message_search (seq, subject, addresses, body, files) VALUES (?, ?, ?, ?, ?)"
)
#: The columns :func:`read_summaries` takes, from ``message AS m``.
READ_COLUMNS = "m.id, m.created, m.read, m.size, m.message_id, m.subject, m.summary, m.indexed"

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_JSON = json.JSONEncoder(separators=(",", ":")).encode  # json.dumps would make one a call


def row_values(
    seq: int | None, summary: Summary, inline: int, indexed: bool, mailbox: str
) -> tuple[Any, ...]:
    """Return the values of :data:`INSERT_MESSAGE` for one message of ``mailbox`` at ``seq``.

    ``seq`` None lets SQLite number the row.
    """
    return (
        seq,
        summary.id,
        to_micros(summary.created),
        int(summary.read),
        summary.size,
        *_content_values(summary, inline, indexed),
        mailbox,
    )


def indexed_values(summary: Summary, inline: int) -> tuple[Any, ...]:
    """Return the values of :data:`UPDATE_INDEXED` for one message, its id last."""
    return (*_content_values(summary, inline, True), summary.id)


def text_values(seq: int, text: SearchText) -> tuple[Any, ...]:
    """Return the values of :data:`INSERT_TEXT` for the message at ``seq``, folded.

    FTS5's ``unicode61`` folds case and Latin accents only; the text is folded
    for every script first (:func:`~pochta.store.fold.fold`), as the searched words are.
    """
    return (seq, fold(text.subject), fold(text.addresses), fold(text.body), fold(text.files))


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
        _JSON(rest),
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


def write_checksums(connection: sqlite3.Connection, seq: int, parsed: ParsedMessage) -> None:
    """Store the checksums of the files (attachments, inline parts) of the message at ``seq``."""
    connection.executemany(
        "INSERT OR REPLACE INTO message_checksum (seq, part_id, size, md5, sha1, sha256)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (seq, p.part_id, p.size, p.checksums.md5, p.checksums.sha1, p.checksums.sha256)
            for p in (*parsed.attachments, *parsed.inline)
            if p.checksums is not None
        ],
    )


def read_checksums(connection: sqlite3.Connection, id: str) -> dict[str, tuple[int, Checksums]]:
    """Return {part id: (size, checksums)} of message ``id``'s stored files."""
    rows = connection.execute(
        "SELECT c.part_id, c.size, c.md5, c.sha1, c.sha256 FROM message AS m"
        " JOIN message_checksum AS c USING (seq) WHERE m.id = ?",
        (id,),
    )
    return {str(part): (int(size), Checksums(*sums)) for part, size, *sums in rows}


def read_tally(connection: sqlite3.Connection) -> tuple[int, int]:
    """Return (total, unread) from the trigger-kept tally: one row, any store size."""
    total, unread = connection.execute("SELECT total, unread FROM tally").fetchone()
    return int(total), int(unread)


def read_summary(connection: sqlite3.Connection, id: str) -> Summary | None:
    """Return the Summary of message ``id``, or None."""
    row = connection.execute(f"SELECT {READ_COLUMNS} FROM message AS m WHERE id = ?", (id,))
    return next(iter(read_summaries(connection, row.fetchall())), None)


def read_summaries(
    connection: sqlite3.Connection, rows: list[tuple[Any, ...]]
) -> tuple[Summary, ...]:
    """Turn rows of :data:`READ_COLUMNS` into summaries.

    A row the indexer has not reached yet holds what the headers said; a small
    one's summary is completed here from the raw bytes (not written back), so
    a reader sees its snippet and attachment count; a large one is listed as
    its headers said (:func:`~pochta.store.summary.listed_summary`).
    """
    summaries = []
    for row in rows:
        summary = summary_from_row(row[:7])
        if not row[7]:
            summary = listed_summary(summary, functools.partial(read_raw, connection, summary.id))
        summaries.append(summary)
    return tuple(summaries)


def read_raw(connection: sqlite3.Connection, id: str) -> bytes | None:
    """Return the bytes of message ``id`` as received (inflated if stored compressed)."""
    row = connection.execute(
        "SELECT m.seq, m.size, r.encoding FROM message AS m JOIN message_raw AS r USING (seq)"
        " WHERE m.id = ?",
        (id,),
    ).fetchone()
    return None if row is None else read_blob(connection, *row)


def read_blob(connection: sqlite3.Connection, seq: int, size: int, encoding: int) -> bytes:
    """Return the bytes of the message at ``seq`` (``size`` of them as received).

    Read through SQLite's blob I/O, so the stored bytes are held once (a
    plain SELECT of a large value holds them twice, in SQLite and in Python),
    and inflated into a buffer of the right size at once.
    """
    with connection.blobopen("message_raw", "data", seq, readonly=True) as blob:
        return unpack(encoding, blob.read(), size)
