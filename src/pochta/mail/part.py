"""Add text parts and attachments to a stdlib message, with readable transfer encodings."""

from __future__ import annotations

import email
import email.message
from collections.abc import Callable
from email.policy import Policy
from typing import Any

from pochta.mail.header import check_header_value

__all__ = ["DEFAULT_ATTACHMENT_MIME_TYPE", "add_attachment", "add_text", "text_transfer_encoding"]

DEFAULT_ATTACHMENT_MIME_TYPE = "application/octet-stream"

# RFC 5322 2.1.1: a line must not be longer than 998 octets, CRLF excluded.
MAX_LINE_OCTETS = 998

_UTF8_NAMES = {"utf-8", "utf8"}


def text_transfer_encoding(text: str, charset: str, policy: Policy) -> str | None:
    """Choose the Content-Transfer-Encoding of a text part, as Django 5 did.

    ``7bit`` for ASCII, ``8bit`` for other UTF-8 text, ``quoted-printable`` only when a
    line is longer than 998 octets. ``None`` (the email package's own choice) for
    other charsets and for policies that forbid 8bit data.
    """
    if getattr(policy, "cte_type", "8bit") != "8bit" or charset.lower() not in _UTF8_NAMES:
        return None
    lines = text.encode(charset, errors="surrogateescape").splitlines()
    if any(len(line) > MAX_LINE_OCTETS for line in lines):
        return "quoted-printable"
    return "7bit" if text.isascii() else "8bit"


def add_text(
    method: Callable[..., None], policy: Policy, text: str, subtype: str, charset: str
) -> None:
    """Call ``set_content``/``add_alternative``/``add_attachment`` for a text part."""
    cte = text_transfer_encoding(text, charset, policy)
    if cte is None:
        method(text, subtype=subtype, charset=charset)
    else:
        method(text, subtype=subtype, charset=charset, cte=cte)


def add_attachment(
    msg: email.message.EmailMessage,
    filename: str | None,
    content: Any,
    mimetype: str,
    charset: str,
) -> None:
    """Add one attachment to ``msg`` (already multipart/mixed).

    ``text/*`` content is sent as text (bytes that are not UTF-8 become
    ``application/octet-stream``), ``message/*`` content as an attached message, and
    everything else as base64 bytes.
    """
    if filename is not None:
        check_header_value("Content-Disposition filename", filename)
    maintype, subtype = mimetype.split("/", 1)
    if maintype == "text" and isinstance(content, bytes):
        try:
            content = content.decode()
        except UnicodeDecodeError:
            maintype, subtype = DEFAULT_ATTACHMENT_MIME_TYPE.split("/")
    if maintype == "text":
        add_text(
            lambda *args, **kwargs: msg.add_attachment(*args, filename=filename, **kwargs),
            msg.policy,
            str(content),
            subtype,
            charset,
        )
    elif maintype == "message":
        if not isinstance(content, email.message.Message):
            data = content.encode() if isinstance(content, str) else bytes(content)
            content = email.message_from_bytes(data, policy=msg.policy)
        msg.add_attachment(content, subtype=subtype, filename=filename)
    else:
        data = content.encode(charset) if isinstance(content, str) else bytes(content)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
