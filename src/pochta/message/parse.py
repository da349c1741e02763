"""Turn raw message bytes into a :class:`ParsedMessage`, whatever the bytes are.

The standard library's ``email`` package with ``policy.default`` does the
decoding; this module chooses the bodies, sorts the leaves into attachments
and inline parts and guards the parser against hostile shapes (see
:mod:`pochta.message.scan` and :mod:`pochta.message.decoding`).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser

from pochta.message.bulk import chunks, claim, decoded_size, digest, is_bulk, set_aside
from pochta.message.decoding import POLICY, HeaderReader
from pochta.message.headline import split_tags
from pochta.message.link import MAX_HTML, read_bodies
from pochta.message.record import ParsedMessage, Part
from pochta.message.scan import too_complex
from pochta.message.tree import body_text, describe, leaves, payload

__all__ = ["find_part", "find_part_chunks", "parse_message", "parse_tree"]

logger = logging.getLogger(__name__)


def parse_message(raw: bytes, *, links: bool = True, checksums: bool = False) -> ParsedMessage:
    """Parse ``raw`` into a :class:`ParsedMessage`; never raises on bad input.

    ``links=False`` leaves ``links`` empty and skips reading the HTML when
    there is a text body (the snippet comes from the text then anyway): what
    the store's indexer needs, about a quarter faster for text+HTML mail.
    ``checksums=True`` gives each attachment and inline part its
    :class:`~pochta.message.record.Checksums` (the indexer stores them).
    Large encoded bodies never enter the parser's tree (:mod:`pochta.message.bulk`).

    A message too deep or too wide for the full parser, or one the parser
    cannot finish, is summarised from its headers alone, with ``problem``
    saying why::

        parsed = parse_message(b"Subject: hi\\r\\n\\r\\nHello\\r\\n")
        assert (parsed.subject, parsed.text) == ("hi", "Hello\\n")
    """
    message, problem = _parse(raw)
    try:
        return _assemble(raw, message or _headers_only(raw), message, problem, links, checksums)
    except Exception as exc:  # a last resort, so that a stored message always has a summary
        logger.warning("message of %d bytes could not be summarised", len(raw), exc_info=True)
        reason = f"message could not be summarised ({type(exc).__name__}); stored raw"
        return _assemble(raw, EmailMessage(policy=POLICY), None, reason, links)


def _parse(raw: bytes) -> tuple[Message | None, str | None]:
    """Return the tree of ``raw``, large bodies set aside, or None and why it was not parsed."""
    lean, spans = set_aside(raw)
    problem = too_complex(lean)
    if problem is not None:
        return None, problem
    try:
        message = BytesParser(policy=POLICY).parsebytes(lean)
        if spans and not claim(raw, spans, [leaf for _, leaf in leaves(message)]):
            message = BytesParser(policy=POLICY).parsebytes(raw)  # a stand-in was not a body
    except Exception as exc:  # RecursionError and whatever a hostile tree provokes
        logger.debug("full parse failed", exc_info=True)
        return None, f"MIME structure could not be parsed ({type(exc).__name__}); headers only"
    return message, None


def _headers_only(raw: bytes) -> Message:
    try:
        return BytesHeaderParser(policy=POLICY).parsebytes(raw)
    except Exception:  # even the header parser failed: an empty message stands in
        logger.debug("header parse failed", exc_info=True)
        return EmailMessage(policy=POLICY)


def _assemble(
    raw: bytes,
    head: Message,
    body: Message | None,
    problem: str | None,
    links: bool = True,
    checksums: bool = False,
) -> ParsedMessage:
    headers = HeaderReader(head)
    text, html, body_parts, notes = _bodies(body) if body is not None else ("", "", (), [])
    parts, attachments, inline = _sort_leaves(body, body_parts, checksums)
    from_, to, cc = headers.addresses("From"), headers.addresses("To"), headers.addresses("Cc")
    bcc, reply_to = headers.addresses("Bcc"), headers.addresses("Reply-To")
    all_headers = headers.all()
    snippet, found = read_bodies(text, html if links or not text.strip() else "")
    found = found if links else ()
    if len(html) > MAX_HTML:
        notes.append(f"HTML body over {MAX_HTML // 1024} KiB; links and snippet from its start")
    notes = [n for n in (problem, *notes, *_defects(body), *headers.problems) if n]
    return ParsedMessage(
        message_id=_strip_angles(headers.text("Message-ID")),
        subject=headers.text("Subject"),
        date=headers.date(),
        from_=from_[0] if from_ else None,
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        return_path=_strip_angles(headers.text("Return-Path")),
        text=text,
        html=html,
        snippet=snippet,
        headers=all_headers,
        parts=parts,
        attachments=attachments,
        inline=inline,
        links=found,
        tags=split_tags(headers.text("X-Tags")),
        list_unsubscribe=headers.text("List-Unsubscribe"),
        size=len(raw),
        problem="; ".join(dict.fromkeys(notes)) or None,
    )


def _strip_angles(value: str) -> str:
    return value.strip().strip("<>").strip()


def _bodies(message: Message) -> tuple[str, str, tuple[Message, ...], list[str]]:
    """Return the text body, the HTML body, the parts they came from, and notes."""
    if not isinstance(message, EmailMessage):
        return "", "", (), []
    chosen: list[Message] = []
    found: dict[str, str] = {}
    notes: list[str] = []
    for kind in ("plain", "html"):
        try:
            part = message.get_body(preferencelist=(kind,))
        except Exception:  # a broken tree: no body of this kind
            part = None
        if part is not None and part.get_content_subtype() == kind:
            found[kind], note = body_text(part)
            notes.extend([note] if note else [])
            chosen.append(part)
    return found.get("plain", ""), found.get("html", ""), tuple(chosen), notes


def _sort_leaves(
    message: Message | None, bodies: tuple[Message, ...], checksums: bool = False
) -> tuple[tuple[Part, ...], tuple[Part, ...], tuple[Part, ...]]:
    """Return (all leaves, attachments, inline parts)."""
    if message is None:
        return (), (), ()
    parts: list[Part] = []
    files: dict[str, list[Part]] = {"attachment": [], "inline": []}
    for part_id, leaf in leaves(message):
        record = describe(part_id, leaf, 0)
        kind = None if any(leaf is b for b in bodies) else _file_kind(record)
        if checksums and kind is not None:
            size, sums = digest(chunks(leaf) if is_bulk(leaf) else iter((payload(leaf),)))
            record = dataclasses.replace(record, size=size, checksums=sums)
        else:  # a large body is measured without decoding it whole
            size = decoded_size(leaf) if is_bulk(leaf) else len(payload(leaf))
            record = dataclasses.replace(record, size=size)
        parts.append(record)
        if kind is not None:
            files[kind].append(record)
    return tuple(parts), tuple(files["attachment"]), tuple(files["inline"])


def _file_kind(record: Part) -> str | None:
    """Say whether a leaf that is no body is shown as an attachment, inline, or not at all."""
    if record.disposition == "attachment":
        return "attachment"
    if record.disposition == "inline" or record.content_id:
        return "inline"
    if record.filename or record.content_type not in ("text/plain", "text/html"):
        return "attachment"
    return None


def _defects(message: Message | None) -> list[str]:
    """Name the defects the parser recorded, e.g. a missing closing boundary."""
    if message is None:
        return []
    names: list[str] = []
    for part in message.walk():
        names.extend(type(d).__name__ for d in getattr(part, "defects", ()))
    if not names:
        return []
    return ["MIME defects: " + ", ".join(dict.fromkeys(names))]


def parse_tree(raw: bytes) -> Message | None:
    """Return the standard library's tree of ``raw``, or None if it is too hostile to parse.

    Large encoded bodies are set aside (:mod:`pochta.message.bulk`): read a
    leaf's payload with :func:`~pochta.message.tree.payload` or :func:`find_part`.
    """
    return _parse(raw)[0]


def find_part(message: Message | None, part_id: str) -> tuple[Part, bytes] | None:
    """Return the :class:`Part` with ``part_id`` and its decoded payload, or None."""
    found = find_part_chunks(message, part_id)
    if found is None:
        return None
    try:
        return found[0], b"".join(found[1])
    except Exception:  # be total: a part that cannot be decoded is not there
        logger.debug("part %s could not be read", part_id, exc_info=True)
    return None


def find_part_chunks(message: Message | None, part_id: str) -> tuple[Part, Iterator[bytes]] | None:
    """Return the :class:`Part` with ``part_id`` and its decoded payload in pieces, or None.

    A large body set aside (:mod:`pochta.message.bulk`) comes a MiB at a
    time, so that it is never held whole; any other payload in one piece.
    """
    if message is None:
        return None
    try:
        for found_id, leaf in leaves(message):
            if found_id == part_id:
                if is_bulk(leaf):
                    return describe(found_id, leaf, decoded_size(leaf)), chunks(leaf)
                data = payload(leaf)
                return describe(found_id, leaf, len(data)), iter((data,))
    except Exception:  # be total: a part that cannot be decoded is not there
        logger.debug("part %s could not be read", part_id, exc_info=True)
    return None
