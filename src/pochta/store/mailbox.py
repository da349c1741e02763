"""Mailboxes: the named parts of one store that different readers see.

Each message lands in exactly one mailbox (:mod:`pochta.server.mailbox`
chooses it: the SMTP login, a recipient rule, else :data:`DEFAULT_MAILBOX`).
A store's ``mailbox(name)`` is the same store limited to one of them: it
lists, searches, changes and announces only that mailbox's messages, and
adds new ones there. A mailbox exists once it holds a message; none needs
creating.

A name is what it may be in a URL path (``/mailbox/NAME/``): 1 to 64 lower-case
letters, digits, ``.``, ``_`` or ``-``, starting with a letter or digit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pochta.exceptions import ConfigurationError

__all__ = ["DEFAULT_MAILBOX", "MailboxCount", "check_mailbox", "is_mailbox_name"]

#: The mailbox of every message no rule sends elsewhere; the root of the inbox shows it.
DEFAULT_MAILBOX = "default"
_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class MailboxCount:
    """One mailbox and how many messages it holds (``total``), ``unread`` among them."""

    name: str
    total: int
    unread: int


def is_mailbox_name(text: str) -> bool:
    """Tell whether ``text`` can name a mailbox."""
    return _NAME.fullmatch(text) is not None


def check_mailbox(name: str) -> str:
    """Return ``name`` if it can name a mailbox, else raise ConfigurationError saying why."""
    if not is_mailbox_name(name):
        raise ConfigurationError(
            f"mailbox name {name!r} is not 1 to 64 lower-case letters, digits, '.', '_' "
            "or '-' starting with a letter or digit; give e.g. ci or alice"
        )
    return name
