"""Decode a message's headers and addresses with ``policy.default``, within limits.

``policy.default`` parses structured headers thoroughly but slowly: 20,000
addresses in one To header take seconds. A header value longer than
``MAX_STRUCTURED`` characters is decoded with the cheaper ``email.header`` and
``email.utils`` functions instead, and at most ``MAX_ADDRESSES`` addresses and
``MAX_HEADERS`` headers are kept.

Every decoded value goes through :func:`clean_header`: an encoded word may
carry any byte (``Subject: Hi =?UTF-8?Q?=0A?=Bcc: x@evil.example``), and a
line break or other C0 control character but tab in a value the API, the
inbox or the CLI shows could forge a header line or move the terminal's
cursor. Each one becomes :data:`CONTROL_STAND_IN`, the same everywhere.
"""

from __future__ import annotations

import email.header
import email.utils
import functools
import logging
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from email.headerregistry import AddressHeader, BaseHeader
from email.message import Message
from email.policy import EmailPolicy

from pochta.message.record import Address

__all__ = [
    "CONTROL_STAND_IN",
    "MAX_ADDRESSES",
    "MAX_HEADERS",
    "MAX_STRUCTURED",
    "POLICY",
    "CachingPolicy",
    "HeaderReader",
    "clean_header",
    "clean_text",
    "decode_cheaply",
    "parse_date",
]

logger = logging.getLogger(__name__)

MAX_STRUCTURED = 4096
MAX_ADDRESSES = 1000
MAX_HEADERS = 2000
_CACHED_UP_TO = 1000  # characters; longer values are rare and would crowd the cache
#: What each C0 control character but tab becomes in a decoded header value:
#: U+FFFD, as for undecodable bytes, so the reader sees that something was there.
CONTROL_STAND_IN = "\ufffd"
_CONTROLS = re.compile(r"[\x00-\x08\x0a-\x1f]")


class CachingPolicy(EmailPolicy):
    """``policy.default``, remembering each parsed header value.

    ``EmailMessage`` re-parses a header on every access, and ``get_body`` and
    friends read Content-Type dozens of times per message: caching the
    (immutable) header objects makes a typical parse several times faster.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        """Return the header object for ``name: value``, parsed once per distinct value."""
        if len(value) > _CACHED_UP_TO or hasattr(value, "name"):
            parsed: str = super().header_fetch_parse(name, value)
            return parsed
        return _parse_header(self, name, value)


@functools.lru_cache(maxsize=4096)
def _parse_header(policy: EmailPolicy, name: str, value: str) -> BaseHeader:
    parsed: BaseHeader = EmailPolicy.header_fetch_parse(policy, name, value)
    return parsed


POLICY = CachingPolicy()


class HeaderReader:
    """Read decoded values from one parsed message, noting what had to be cut short."""

    def __init__(self, message: Message) -> None:
        """Remember ``message``; nothing is decoded until asked for."""
        self._message = message
        self._raw = list(message.raw_items())
        self.problems: list[str] = []

    def all(self) -> tuple[tuple[str, str], ...]:
        """Return every header (up to ``MAX_HEADERS``) as (name, decoded value), in order."""
        if len(self._raw) > MAX_HEADERS:
            self.problems.append(f"{len(self._raw)} headers; first {MAX_HEADERS} kept")
        return tuple((name, self._decode(name, value)) for name, value in self._raw[:MAX_HEADERS])

    def text(self, name: str) -> str:
        """Return the first ``name`` header decoded, or "" when it is absent.

        White space around the value is dropped: Django 5's ``Subject:`` folds
        before its first encoded word, which the email package keeps as a space.
        """
        for key, value in self._raw:
            if key.lower() == name.lower():
                return self._decode(key, value).strip()
        return ""

    def addresses(self, name: str) -> tuple[Address, ...]:
        """Return the mailboxes of every ``name`` header (groups flattened)."""
        found: list[Address] = []
        for key, value in self._raw:
            if key.lower() == name.lower():
                found.extend(self._addresses(key, value))
        if len(found) > MAX_ADDRESSES:
            self.problems.append(f"{name}: {len(found)} addresses; first {MAX_ADDRESSES} kept")
            return tuple(found[:MAX_ADDRESSES])
        return tuple(found)

    def date(self) -> datetime | None:
        """Return the Date header as an aware datetime (UTC when it gave no zone)."""
        return parse_date(self.text("Date"))

    def _decode(self, name: str, value: str) -> str:
        return clean_header(self._decode_unclean(name, value))

    def _decode_unclean(self, name: str, value: str) -> str:
        if len(value) > MAX_STRUCTURED:
            return decode_cheaply(value)
        try:
            return str(self._message.policy.header_fetch_parse(name, value))
        except Exception:  # the header registry raises many kinds on hostile input
            logger.debug("header %r could not be decoded structurally", name, exc_info=True)
            return decode_cheaply(value)

    def _addresses(self, name: str, value: str) -> list[Address]:
        if len(value) <= MAX_STRUCTURED:
            try:
                header = self._message.policy.header_fetch_parse(name, value)
            except Exception:  # fall back to the lenient parser below
                header = None
            if isinstance(header, AddressHeader):
                return [
                    Address(clean_header(a.display_name), clean_header(a.addr_spec))
                    for a in header.addresses
                ]
        pairs = email.utils.getaddresses([value.replace("\r\n", "").replace("\n", "")])
        return [
            Address(clean_header(decode_cheaply(n)), clean_header(a)) for n, a in _non_empty(pairs)
        ]


def _non_empty(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(n, a) for n, a in pairs if a or n]


def parse_date(value: str) -> datetime | None:
    """Return a Date header's value as an aware datetime (UTC when it gave no zone), or None."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def decode_cheaply(value: str) -> str:
    """Decode encoded words with ``email.header`` (linear time, no structure)."""
    unfolded = value.replace("\r\n", "").replace("\n", "")
    if "=?" not in unfolded:  # no encoded words: nothing to decode (and 20 µs saved)
        return unfolded
    try:
        return str(email.header.make_header(email.header.decode_header(unfolded)))
    except Exception:  # bad encoded words or charsets: keep the text as it came
        return unfolded.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def clean_text(value: str) -> str:
    """Turn undecodable bytes smuggled in as surrogates into UTF-8 text or U+FFFD."""
    try:
        return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")


def clean_header(value: str) -> str:
    """Return a decoded header value as text to show: UTF-8, and no C0 control but tab.

    Undecodable bytes become U+FFFD (:func:`clean_text`), and so does each
    control character (:data:`CONTROL_STAND_IN`): one rule for the API, the
    inbox and the CLI, which all show what the parser decoded.
    """
    return _CONTROLS.sub(CONTROL_STAND_IN, clean_text(value))
