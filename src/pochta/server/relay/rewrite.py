"""The header changes of a relayed message, made on its raw bytes (the body is never touched).

:func:`prepare_release` does what Mailpit does to a released message: the
envelope sender is the ``Sender`` (else the first ``From``), the first
``Bcc`` goes, ``Return-Path`` is set when configured, ``Date`` is now and the
``Message-ID`` is new unless ``preserve-message-ids``. :func:`override_from`
puts the configured address into ``From`` and keeps the old one in
``X-Original-From``. Every other header and the body pass through byte-exact.
"""

from __future__ import annotations

import datetime
import re
from email.utils import format_datetime, formataddr, getaddresses

from pochta.exceptions import QueryError
from pochta.server.relay.config import RelayConfig
from pochta.store.identity import new_id

__all__ = ["Fields", "override_from", "prepare_release"]

_NAME = re.compile(rb"([!-9;-~]+)[ \t]*:")


class Fields:
    """A message cut into its header fields (each with its folded lines) and the rest."""

    def __init__(self, raw: bytes) -> None:
        end = _header_end(raw)
        self.newline = b"\r\n" if b"\r\n" in raw[:end] or not raw else b"\n"
        self.fields: list[bytes] = _split_fields(raw[:end])
        self.rest = raw[end:]

    def find(self, name: str) -> int:
        """Return the index of the first field called ``name`` (any case), or -1."""
        wanted = name.lower().encode()
        for index, field in enumerate(self.fields):
            match = _NAME.match(field)
            if match is not None and match[1].lower() == wanted:
                return index
        return -1

    def value(self, name: str) -> str | None:
        """Return the unfolded value of the first ``name`` field, or None."""
        index = self.find(name)
        if index < 0:
            return None
        text = self.fields[index].split(b":", 1)[1].decode("utf-8", "replace")
        return " ".join(text.split())

    def remove(self, name: str) -> None:
        """Drop the first ``name`` field, if there is one."""
        index = self.find(name)
        if index >= 0:
            del self.fields[index]

    def put(self, name: str, value: str, *, replace: bool = True) -> None:
        """Replace the first ``name`` field with ``value`` (or prepend it when absent)."""
        line = f"{name}: {value}".encode() + self.newline
        index = self.find(name) if replace else -1
        if index >= 0:
            self.fields[index] = line
        else:
            self.fields.insert(0, line)

    def prepend(self, name: str, value: str) -> None:
        """Add a ``name`` field at the top."""
        self.put(name, value, replace=False)

    def bytes(self) -> bytes:
        """Return the message again."""
        return b"".join(self.fields) + self.rest


def prepare_release(
    raw: bytes, relay: RelayConfig, *, now: datetime.datetime | None = None
) -> tuple[str, bytes]:
    """Return the envelope sender and the bytes to release ``raw`` with.

    Raises :class:`~pochta.exceptions.QueryError` (a 400) when the message has
    no usable ``From``, as Mailpit does.
    """
    fields = Fields(raw)
    from_value = fields.value("From")
    if from_value is None:
        raise QueryError("No From header found")
    senders = _addresses(from_value)
    if not senders:
        raise QueryError(f"Failed: unable to parse From header: {from_value!r}")
    sender = senders[0]
    sender_value = fields.value("Sender")
    if sender_value is not None and _addresses(sender_value):
        sender = _addresses(sender_value)[0]
    fields.remove("Bcc")
    return_path = relay.upstream.return_path
    if return_path:
        if fields.value("Return-Path") != f"<{return_path}>":
            fields.remove("Return-Path")
            fields.prepend("Return-Path", f"<{return_path}>")
        sender = return_path
    moment = now or datetime.datetime.now().astimezone()
    fields.put("Date", format_datetime(moment))
    if not relay.preserve_message_ids:
        fields.put("Message-ID", f"<{new_id()}@pochta>")
    return sender, fields.bytes()


def override_from(raw: bytes, address: str) -> bytes:
    """Return ``raw`` with ``address`` in ``From`` (name kept), the old in X-Original-From."""
    fields = Fields(raw)
    value = fields.value("From")
    if value is None:
        fields.prepend("From", address)
        return fields.bytes()
    found = getaddresses([value])
    if found and found[0][1] and "@" in found[0][1]:
        name, original = found[0]
        fields.put("From", formataddr((name, address)))
        fields.prepend("X-Original-From", original)
    else:
        fields.put("From", address)
    return fields.bytes()


def _addresses(value: str) -> list[str]:
    return [address for _, address in getaddresses([value]) if "@" in address]


def _header_end(raw: bytes) -> int:
    """Return where the header fields end: the blank line after them starts the rest."""
    match = re.search(rb"\r?\n\r?\n", raw)
    if match is None:
        return len(raw)
    return match.start() + (2 if raw[match.start() : match.start() + 1] == b"\r" else 1)


def _split_fields(head: bytes) -> list[bytes]:
    fields: list[bytes] = []
    for line in head.splitlines(keepends=True):
        if fields and line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields
