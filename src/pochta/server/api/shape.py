"""Store records turned into the JSON shapes of Mailpit's API v1.

The field names are Mailpit's (``server/apiv1`` and ``internal/storage/structs.go``
in axllent/mailpit), so Mailpit's clients read pochta's answers unchanged:
``MessagesSummary`` (the list), ``MessageSummary`` (one row), ``Message`` (one
parsed message), ``Attachment`` and ``Address`` (``{"Name", "Address"}``).
Times are RFC 3339 with the fraction trimmed, as Go writes them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from pochta.store import Address, MessagePage, ParsedMessage, Part, Summary

__all__ = [
    "SearchPage",
    "address_json",
    "attachment_json",
    "list_unsubscribe_json",
    "message_json",
    "page_json",
    "rfc3339",
    "search_json",
    "summary_json",
]

JSON = dict[str, Any]


class SearchPage(Protocol):
    """What :func:`search_json` reads of the store's search answer."""

    @property
    def total(self) -> int: ...
    @property
    def unread(self) -> int: ...
    @property
    def matched(self) -> int: ...
    @property
    def matched_unread(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def messages(self) -> Sequence[Summary]: ...


def rfc3339(moment: datetime.datetime) -> str:
    """Write ``moment`` as Go's RFC3339Nano does: ``2026-11-21T23:34:45.5Z``."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    text = moment.isoformat()
    head, sep, rest = text.partition(".")
    if sep:
        fraction, zone = rest[:6], rest[6:]
        fraction = fraction.rstrip("0")
        text = head + ("." + fraction if fraction else "") + zone
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def address_json(address: Address) -> JSON:
    """Return Mailpit's ``Address``: ``{"Name": ..., "Address": ...}``."""
    return {"Name": address.name, "Address": address.address}


def _addresses(addresses: Iterable[Address]) -> list[JSON]:
    return [address_json(a) for a in addresses]


def summary_json(summary: Summary) -> JSON:
    """Return Mailpit's ``MessageSummary`` for one row of the list."""
    return {
        "ID": summary.id,
        "MessageID": summary.message_id,
        "Read": summary.read,
        "From": address_json(summary.from_) if summary.from_ else None,
        "To": _addresses(summary.to),
        "Cc": _addresses(summary.cc),
        "Bcc": _addresses(summary.bcc),
        "ReplyTo": _addresses(summary.reply_to),
        "Subject": summary.subject,
        "Created": rfc3339(summary.created),
        "Username": summary.envelope.auth_user or "",
        "Tags": list(summary.tags),
        "Size": summary.size,
        "Attachments": summary.attachments,
        "Snippet": summary.snippet,
    }


def page_json(page: MessagePage, *, tags: Sequence[str] = ()) -> JSON:
    """Return Mailpit's ``MessagesSummary``: totals, the offset and one page of rows."""
    return {
        "total": page.total,
        "unread": page.unread,
        # "count" is Mailpit's legacy name for the number of rows on this page.
        "count": len(page.messages),
        "messages_count": page.total,
        "messages_unread": page.unread,
        "start": page.start,
        "tags": list(tags),
        "messages": [summary_json(s) for s in page.messages],
    }


def search_json(page: SearchPage, *, tags: Sequence[str] = ()) -> JSON:
    """Return Mailpit's ``MessagesSummary`` for a search.

    ``total`` and ``unread`` count the whole mailbox; ``messages_count`` and
    ``messages_unread`` count the messages that match.
    """
    return {
        "total": page.total,
        "unread": page.unread,
        "count": len(page.messages),
        "messages_count": page.matched,
        "messages_unread": page.matched_unread,
        "start": page.start,
        "tags": list(tags),
        "messages": [summary_json(s) for s in page.messages],
    }


def attachment_json(part: Part) -> JSON:
    """Return Mailpit's ``Attachment`` for one part, with the checksums of its payload.

    The store's parse carries them (:meth:`~pochta.store.Store.parsed`); a
    part without them gets empty strings.
    """
    sums = part.checksums
    return {
        "PartID": part.part_id,
        "FileName": part.filename,
        "ContentType": part.content_type,
        "ContentID": part.content_id,
        "Size": part.size,
        "Checksums": {
            "MD5": sums.md5 if sums else "",
            "SHA1": sums.sha1 if sums else "",
            "SHA256": sums.sha256 if sums else "",
        },
    }


def _header(headers: Sequence[tuple[str, str]], name: str) -> str:
    for key, value in headers:
        if key.lower() == name:
            return value
    return ""


def list_unsubscribe_json(headers: Sequence[tuple[str, str]]) -> JSON:
    """Return Mailpit's ``ListUnsubscribe``: the header, its links and what is wrong with it."""
    header = _header(headers, "list-unsubscribe")
    links = re.findall(r"<([^<>]*)>", header)
    errors = ""
    if header and not links:
        errors = "No valid unsubscribe links found: each must be written inside <...>"
    elif any(not re.match(r"(?i)(https?|mailto):", link) for link in links):
        errors = "Unsubscribe links must start with https:, http: or mailto:"
    return {
        "Header": header,
        "Links": links,
        "Errors": errors,
        "HeaderPost": _header(headers, "list-unsubscribe-post"),
    }


def message_json(summary: Summary, parsed: ParsedMessage) -> JSON:
    """Return Mailpit's ``Message``: the summary's header fields with bodies and parts."""
    return {
        "ID": summary.id,
        "MessageID": summary.message_id,
        "From": address_json(summary.from_) if summary.from_ else None,
        "To": _addresses(summary.to),
        "Cc": _addresses(summary.cc),
        "Bcc": _addresses(summary.bcc),
        "ReplyTo": _addresses(summary.reply_to),
        "ReturnPath": parsed.return_path or summary.envelope.mail_from,
        "Subject": summary.subject,
        "ListUnsubscribe": list_unsubscribe_json(parsed.headers),
        "Date": rfc3339(summary.date or summary.created),
        "Tags": list(summary.tags),
        "Username": summary.envelope.auth_user or "",
        "Text": parsed.text,
        "HTML": parsed.html,
        "Size": summary.size,
        "Inline": [attachment_json(p) for p in parsed.inline],
        "Attachments": [attachment_json(p) for p in parsed.attachments],
    }
