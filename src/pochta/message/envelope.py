"""What the SMTP conversation said about a message, kept beside its bytes.

Files keep no SMTP envelope, so :func:`envelope_for` makes one from a
message's own headers: the sender is the ``Return-Path`` (set by a delivering
server), else ``Sender``, else ``From``; the recipients are the addresses of
``To``, ``Cc`` and ``Bcc`` (Django's file backend keeps no Bcc, so those
recipients are gone). It never raises: broken headers give empty values.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.utils import getaddresses

__all__ = ["Envelope", "envelope_for"]

_PARSER = email.parser.BytesHeaderParser(policy=email.policy.compat32)


@dataclass(frozen=True, slots=True)
class Envelope:
    """The envelope of one message: who sent it to whom, from where and how.

    Messages that arrive without SMTP (the ``store`` backend, the API, an
    import) carry an envelope made from their headers, with ``source`` saying
    which door they came through.
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    client_address: str = ""
    helo: str = ""
    tls: bool = False
    auth_user: str | None = None
    source: str = "smtp"
    mail_options: tuple[str, ...] = field(default=())


def envelope_for(raw: bytes, *, source: str) -> Envelope:
    """Return the envelope of ``raw`` as its headers tell it, with ``source`` set."""
    try:
        headers = _PARSER.parsebytes(raw)
        mail_from = ""
        for name in ("Return-Path", "Sender", "From"):
            found = _addresses(headers.get_all(name, []))
            if found:
                mail_from = found[0]
                break
        recipients: list[str] = []
        for name in ("To", "Cc", "Bcc"):
            for address in _addresses(headers.get_all(name, [])):
                if address not in recipients:
                    recipients.append(address)
    except Exception:  # the stdlib parser on hostile bytes; a file import must go on
        return Envelope("", (), source=source)
    return Envelope(mail_from, tuple(recipients), source=source)


def _addresses(values: Sequence[object]) -> list[str]:
    texts = [str(value) for value in values]
    return [address for _, address in getaddresses(texts) if address]
