"""Message ids: how a store makes them and which texts can be one.

An id is 22 base62 characters of 128 random bits, the same in every store, so
an id never says where or when a message was stored and never collides
between catchers sharing one database. Any text that does not look like an id
names no message (a 404, never a query).
"""

from __future__ import annotations

import os
import re
import threading
from typing import TypeVar

from pochta.exceptions import MessageNotFound

__all__ = ["check_found", "is_message_id", "new_id", "not_found"]

# Ids made by new_id() match; older or imported ones may be shorter, never other characters.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
T = TypeVar("T")


# Random bytes for ids, drawn from the system 256 ids at a time: a system call per
# message released the writer thread's GIL once more for every message it stored.
_BATCH = 16 * 256
_random = b""
_taken = 0
_random_lock = threading.Lock()


def _forget_random() -> None:
    """A forked child must not hand out the ids its parent's bytes still hold.

    The lock is made anew too: another thread may have held it at the fork.
    """
    global _random, _taken, _random_lock
    _random, _taken, _random_lock = b"", 0, threading.Lock()


os.register_at_fork(after_in_child=_forget_random)


def _random_128() -> int:
    global _random, _taken
    with _random_lock:
        if _taken >= len(_random):
            _random, _taken = os.urandom(_BATCH), 0
        chunk = _random[_taken : _taken + 16]
        _taken += 16
    return int.from_bytes(chunk)


def new_id() -> str:
    """Return a new message id: 22 base62 characters of 128 random bits (``os.urandom``)."""
    number = _random_128()
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
