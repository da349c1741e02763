"""A message's raw bytes turned into what people read: summary fields, parts, links.

Pure functions, no storage: the store, the server and :mod:`pochta.testing`
use them alike.

::

    from pochta.message import parse_message

    parsed = parse_message(raw)
    print(parsed.subject, parsed.text, parsed.links)
"""

from __future__ import annotations

from pochta.message.envelope import Envelope, envelope_for
from pochta.message.parse import parse_message
from pochta.message.record import Address, Checksums, ParsedMessage, Part

__all__ = [
    "Address",
    "Checksums",
    "Envelope",
    "ParsedMessage",
    "Part",
    "envelope_for",
    "parse_message",
]
