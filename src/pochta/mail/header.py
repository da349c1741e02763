"""Header safety: no line break may reach a header, an address or a file name.

A header value holding CR or LF would let its author add headers of their own (or,
in an SMTP envelope, commands of their own). So would a value that only *decodes*
to a line break, such as the encoded word ``=?UTF-8?Q?=0A?=`` (the CVE-2024-6923
class). Every check here raises :class:`~pochta.exceptions.BadHeaderError`, a
``ValueError``, before anything is written or sent.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email.headerregistry import Address, AddressHeader, BaseHeader
from email.message import Message

from pochta.exceptions import BadHeaderError

__all__ = [
    "DNS_NAME",
    "LINE_BREAKS",
    "LINE_BREAK_ERROR",
    "CachedDnsName",
    "check_header_value",
    "check_message_headers",
    "encode_address_domains",
    "punycode",
    "set_header",
]

#: Python's str.splitlines() boundaries: the email package refuses a header value that
#: splits into several lines on any of them, so pochta refuses the same set, by name.
LINE_BREAKS = ("\r", "\n", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")

# A line break that is not folding (folding is CRLF or LF followed by a space or tab).
_UNFOLDED_BREAK = re.compile(
    "\r\n(?![ \t])|\r(?!\n)|(?<!\r)\n(?![ \t])|[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]"
)


#: Python's (and so Django 6.0's) words for a header value with a line break.
LINE_BREAK_ERROR = "Header values may not contain linefeed or carriage return characters"


class CachedDnsName:
    """This machine's fully qualified name, looked up once, on first use.

    ``socket.getfqdn()`` can take seconds, so it is not called at import time.
    """

    _fqdn: str | None = None

    def __str__(self) -> str:
        return self.get_fqdn()

    def get_fqdn(self) -> str:
        """Return the IDNA-encoded fully qualified domain name of this host."""
        if self._fqdn is None:
            self._fqdn = punycode(socket.getfqdn())
        return self._fqdn


DNS_NAME = CachedDnsName()


def punycode(domain: str) -> str:
    """Return ``domain`` IDNA-encoded (``пример.рф`` -> ``xn--e1afmkfd.xn--p1ai``)."""
    return domain.encode("idna").decode("ascii")


def check_header_value(name: str, value: str) -> None:
    """Raise BadHeaderError when ``value`` of header ``name`` holds CR, LF or a line break."""
    if any(mark in value for mark in LINE_BREAKS):
        raise BadHeaderError(
            f"{LINE_BREAK_ERROR} (got {value!r} for header {name!r}); remove the CR/LF characters"
        )


def _check_header_name(name: str) -> None:
    # RFC 5322 2.2: a field name is printable US-ASCII except the colon.
    if not name or not all(33 <= ord(char) <= 126 and char != ":" for char in name):
        raise BadHeaderError(
            f"header name {name!r} is not a valid field name; use printable ASCII "
            "without spaces or colons, such as 'X-Mailer'"
        )


def set_header(msg: Message, name: str, value: object) -> None:
    """Add header ``name: value`` to ``msg`` after checking both for line breaks.

    The value is checked as given and again as the header reads once decoded, so an
    encoded word that decodes to a newline is refused too.
    """
    _check_header_name(name)
    if isinstance(value, str):
        check_header_value(name, value)
    try:
        msg[name] = value  # type: ignore[assignment]  # the policy's header factory takes objects
    except ValueError as error:
        # e.g. an address whose encoded display name decodes to CR/LF.
        raise BadHeaderError(f"{error} (header {name!r} value {value!r} is refused)") from None
    decoded = msg.get_all(name, [])[-1]
    if any(mark in str(decoded) for mark in LINE_BREAKS):
        del msg[name]
        raise BadHeaderError(
            f"{LINE_BREAK_ERROR} (header {name!r} value {value!r} decodes to a line break); "
            "remove the encoded CR/LF"
        )


def _walk_own_parts(msg: Message) -> Iterator[Message]:
    """Yield ``msg`` and its sub-parts, but not the insides of attached messages."""
    yield msg
    if msg.is_multipart() and msg.get_content_maintype() != "message":
        for part in msg.get_payload():
            if isinstance(part, Message):
                yield from _walk_own_parts(part)


def check_message_headers(msg: Message) -> None:
    """Raise BadHeaderError if any header of any part of ``msg`` holds a line break.

    This covers attachment file names and parts supplied ready-made by the caller.
    A header the modern API parsed is checked as it reads decoded; a legacy raw
    string may hold folding (a line break followed by a space or tab), nothing else.
    The headers of an attached message (message/rfc822) are part of its body and
    cannot reach the outer message's header, so they are left as they are.
    """
    for part in _walk_own_parts(msg):
        for name, value in part.items():
            if isinstance(value, BaseHeader):
                bad = any(mark in value for mark in LINE_BREAKS)
            else:
                bad = _UNFOLDED_BREAK.search(str(value)) is not None
            if bad:
                raise BadHeaderError(
                    f"{LINE_BREAK_ERROR} (header {name!r} of a {part.get_content_type()} part "
                    f"reads {str(value)!r}); remove the line break"
                )


def encode_address_domains(msg: Message) -> None:
    """IDNA-encode every non-ASCII domain in ``msg``'s address headers.

    Without SMTPUTF8 a domain must be ASCII; Python's email package would otherwise
    turn it into an RFC 2047 encoded word, which no mail server reads
    (python/cpython#83938). Local parts are left alone: no RFC encodes them in 7 bits.
    """
    for name, value in list(msg.items()):
        if not isinstance(value, AddressHeader):
            continue
        if all(address.domain.isascii() for address in value.addresses):
            continue
        encoded = [
            Address(
                display_name=address.display_name,
                username=address.username,
                domain=punycode(address.domain),
            )
            for address in value.addresses
        ]
        msg.replace_header(name, encoded)  # type: ignore[arg-type]  # header factory input
