"""Walk a parsed message's MIME tree: leaves, their part ids, payloads and bodies."""

from __future__ import annotations

import email.policy
import email.utils
from collections.abc import Iterator
from email.message import EmailMessage, Message

from pochta.message.bulk import chunks, is_bulk
from pochta.message.decoding import clean_header, clean_text
from pochta.message.record import Part

__all__ = ["body_text", "describe", "leaves", "payload"]

# An attached message is re-serialised as it was parsed, without refolding.
_AS_PARSED = email.policy.default.clone(refold_source="none")


def leaves(message: Message) -> Iterator[tuple[str, Message]]:
    """Yield (part id, part) for every leaf, depth first, in document order.

    A single-part message is one leaf, "1". In a multipart each child is
    numbered from 1 and nested ids are joined with dots, as Mailpit does. An
    attached ``message/rfc822`` is a leaf: its payload is the whole message.
    """
    if not message.is_multipart() or _is_attached_message(message):
        yield "1", message
        return
    stack: list[tuple[str, Message]] = []
    children = message.get_payload()
    if isinstance(children, list):
        stack.extend(reversed([(str(i), c) for i, c in enumerate(children, 1)]))
    while stack:
        part_id, part = stack.pop()
        inner = part.get_payload()
        if part.is_multipart() and not _is_attached_message(part) and isinstance(inner, list):
            stack.extend(reversed([(f"{part_id}.{i}", c) for i, c in enumerate(inner, 1)]))
        else:
            yield part_id, part


def _is_attached_message(part: Message) -> bool:
    return part.get_content_maintype() == "message"


def payload(part: Message) -> bytes:
    """Return the decoded payload of a leaf (the message's bytes for message/rfc822)."""
    if _is_attached_message(part):
        inner = part.get_payload()
        if isinstance(inner, list) and inner and isinstance(inner[0], Message):
            try:
                return inner[0].as_bytes(policy=_AS_PARSED)
            except Exception:  # a broken inner message re-serialises as nothing
                return b""
        return b""
    if is_bulk(part):
        return b"".join(chunks(part))
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def describe(part_id: str, part: Message, size: int) -> Part:
    """Make the :class:`Part` record of one leaf."""
    return Part(
        part_id=part_id,
        content_type=clean_header(part.get_content_type()),
        filename=clean_header(_filename(part)),
        content_id=clean_header(str(part.get("Content-ID", "")).strip().strip("<>")),
        size=size,
        disposition=clean_header(part.get_content_disposition() or ""),
    )


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name", header="content-type")
    except Exception:  # a malformed RFC 2231 parameter
        return ""
    if isinstance(name, tuple):
        name = email.utils.collapse_rfc2231_value(name)
    return str(name or "")


def body_text(part: Message) -> tuple[str, str | None]:
    """Decode a text part to str with LF line ends, and say if its charset was unusable.

    An unknown or lying charset falls back to UTF-8 with U+FFFD for bad bytes.
    """
    content: object = None
    if is_bulk(part):
        try:  # as the standard library's get_content() decodes text
            content = payload(part).decode(str(part.get_param("charset", "ASCII")), "replace")
        except LookupError:
            content = None
    elif isinstance(part, EmailMessage):
        try:
            content = part.get_content()
        except Exception:  # LookupError for x-nonexistent, ValueError, ...
            content = None
    note = None
    if not isinstance(content, str):
        charset = part.get_content_charset() or "us-ascii"
        kind = part.get_content_type()
        note = f"unknown charset {clean_text(charset)!r} in a {kind} part; read as UTF-8"
        content = payload(part).decode("utf-8", "replace")
    return clean_text(content).replace("\r\n", "\n"), note
