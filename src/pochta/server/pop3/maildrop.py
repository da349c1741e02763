"""What one POP3 login sees: the :class:`Maildrop` contract, and the store's own.

The POP3 server never touches the store directly. At each login it asks a
:data:`MaildropFor` callable for the login's maildrop and works on that:
:func:`store_maildrops` gives every login the default mailbox's newest
messages, or, with ``--mailbox-login``, those of the mailbox named after the
login (the mailbox SMTP puts that login's mail in).

Every method of a maildrop may block: the session calls them on a worker
thread, never on the event loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from pochta.exceptions import MessageNotFound
from pochta.store import Store
from pochta.store.mailbox import DEFAULT_MAILBOX, mailbox_name_of

__all__ = ["WINDOW", "Entry", "Maildrop", "MaildropFor", "StoreMaildrop", "store_maildrops"]

WINDOW = 100
"""Messages a login sees: the newest this many, newest first (as Mailpit)."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One message of a maildrop: its store id (the UIDL) and its size in octets."""

    id: str
    size: int


class Maildrop(Protocol):
    """The messages one login may read and delete."""

    def listing(self) -> list[Entry]:
        """Return the messages to serve, in the order of their POP3 numbers (1, 2, ...)."""
        ...

    def raw(self, id: str) -> bytes | None:
        """Return the bytes of message ``id``, or None if it is gone meanwhile."""
        ...

    def delete(self, ids: Sequence[str]) -> int:
        """Delete the messages ``ids`` (the UPDATE state); return how many were still there."""
        ...


MaildropFor = Callable[[str], Maildrop]
"""Return the maildrop of a login name (called once a login succeeded)."""


class StoreMaildrop:
    """The newest :data:`WINDOW` messages of a store, message 1 the newest (as Mailpit)."""

    def __init__(self, store: Store, *, window: int = WINDOW) -> None:
        self._store = store
        self._window = window

    def listing(self) -> list[Entry]:
        """Return the newest messages, newest first, with their sizes as stored."""
        page = self._store.list_messages(limit=self._window)
        return [Entry(summary.id, summary.size) for summary in page.messages]

    def raw(self, id: str) -> bytes | None:
        """Return the message exactly as it was received, or None if deleted."""
        try:
            return self._store.raw(id)
        except MessageNotFound:
            return None

    def delete(self, ids: Sequence[str]) -> int:
        """Delete the messages from the store itself (the inbox and API see them go)."""
        return self._store.delete(list(ids))


def store_maildrops(store: Store, *, window: int = WINDOW, by_login: bool = False) -> MaildropFor:
    """Return a :data:`MaildropFor`: the default mailbox, or each login's own (``by_login``)."""
    shared = StoreMaildrop(store.mailbox(DEFAULT_MAILBOX), window=window)
    if not by_login:
        return lambda user: shared

    def of(user: str) -> Maildrop:
        name = mailbox_name_of(user)
        return shared if name is None else StoreMaildrop(store.mailbox(name), window=window)

    return of
