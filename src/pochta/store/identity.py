"""Message ids: how a store makes them and which texts can be one.

An id is 22 base62 characters of 128 random bits, the same in every store, so
an id never says where or when a message was stored and never collides
between catchers sharing one database. Any text that does not look like an id
names no message (a 404, never a query).
"""

from __future__ import annotations

import re
import secrets
from typing import TypeVar

from pochta.exceptions import MessageNotFound

__all__ = ["check_found", "is_message_id", "new_id", "not_found"]

# Ids made by new_id() match; older or imported ones may be shorter, never other characters.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
T = TypeVar("T")


def new_id() -> str:
    """Return a new message id: 22 base62 characters of 128 random bits."""
    number = secrets.randbits(128)
    digits = []
    for _ in range(22):
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(digits)


def is_message_id(text: str) -> bool:
    """Return True if ``text`` has the form of a message id (not whether one is stored)."""
    return _ID.fullmatch(text) is not None


def not_found(id: str) -> str:
    """Return the MessageNotFound text for ``id``."""
    return f"no message with id {id!r} (it may have been deleted or pruned)"


def check_found(found: T | None, id: str) -> T:
    """Return ``found``, what a store read for ``id``; if None, raise MessageNotFound."""
    if found is None:
        raise MessageNotFound(not_found(id))
    return found
