"""The records a message's bytes turn into: addresses, MIME parts and the full parse."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Address", "Checksums", "ParsedMessage", "Part"]


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox from an address header: the display name (maybe empty) and the address."""

    name: str
    address: str


@dataclass(frozen=True, slots=True)
class Checksums:
    """The hex digests of a part's decoded payload, as Mailpit's ``Attachment.Checksums``."""

    md5: str
    sha1: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Part:
    """One leaf of a message's MIME tree.

    ``part_id`` is Mailpit-style ("1", "1.2", "2.1.3"): the 1-based position of
    the part among its siblings at each level, so the same bytes always give the
    same ids. ``size`` is the length of the decoded payload. ``disposition`` is
    "attachment", "inline" or "" (none given). ``checksums`` are those of the
    decoded payload, when the parse was asked for them (attachments and inline
    parts only), else None.
    """

    part_id: str
    content_type: str
    filename: str
    content_id: str
    size: int
    disposition: str
    checksums: Checksums | None = None


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """Everything :func:`pochta.message.parse_message` could read from one message.

    ``text`` and ``html`` are the preferred bodies ("" when absent). ``headers``
    holds every header in order, decoded. ``parts`` is the leaf tree flattened;
    ``attachments`` and ``inline`` are the subsets a reader shows as files.
    ``problem`` is None for a clean parse, or says why the result is partial.
    ``bcc`` holds only a ``Bcc`` header (the store adds envelope recipients).
    """

    message_id: str
    subject: str
    date: datetime | None
    from_: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    return_path: str
    text: str
    html: str
    snippet: str
    headers: tuple[tuple[str, str], ...]
    parts: tuple[Part, ...]
    attachments: tuple[Part, ...]
    inline: tuple[Part, ...]
    links: tuple[str, ...]
    tags: tuple[str, ...]
    list_unsubscribe: str
    size: int
    problem: str | None
