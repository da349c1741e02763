"""Make an envelope for a message read from a file, from its own headers.

Files keep no SMTP envelope, so the sender is the ``Return-Path`` (set by a
delivering server), else ``Sender``, else ``From``; the recipients are the
addresses of ``To``, ``Cc`` and ``Bcc`` (Django's file backend keeps no Bcc,
so those recipients are gone). Never raises: broken headers give empty values.
"""

from __future__ import annotations

import email.parser
import email.policy
from collections.abc import Sequence
from email.utils import getaddresses

from pochta.store import Envelope

__all__ = ["envelope_for"]

_PARSER = email.parser.BytesHeaderParser(policy=email.policy.compat32)


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
