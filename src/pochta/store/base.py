"""What every kind of store does the same way: :class:`BaseStore`.

:class:`~pochta.store.sqlite.store.SQLiteStore` and
:class:`~pochta.store.postgres.store.PostgresStore` extend it. It holds the
plumbing of the :class:`~pochta.store.contract.Store` contract that does not
depend on where the messages live: the views of one mailbox
(:meth:`BaseStore.mailbox`), the context manager, and the delivery of
events to subscribers through the store's announcer.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Protocol, Self

from pochta.store.mailbox import check_mailbox
from pochta.store.record import StoreEvent

__all__ = ["VIEWS", "BaseStore"]

VIEWS = 256
"""Mailbox views a store keeps made (:meth:`BaseStore.mailbox`); more names start it over."""


class _Announcer(Protocol):
    def subscribe(
        self, callback: Callable[[StoreEvent], None], *, mailbox: str | None = None
    ) -> Callable[[], None]: ...

    def announce(self, events: Sequence[StoreEvent]) -> None: ...


class BaseStore:
    """A store object that can be limited to one mailbox; subclasses keep the rest of the contract.

    A subclass sets ``_announcer`` in its ``__init__`` and implements
    :meth:`close`, which must do nothing for a view (``_owner`` False).
    """

    _announcer: _Announcer
    _mailbox: str | None = None
    _owner = True

    @property
    def mailbox_name(self) -> str | None:
        """The mailbox this view is limited to; None for the whole store."""
        return self._mailbox

    def mailbox(self, name: str) -> Self:
        """Return this store limited to mailbox ``name``: what it reads, changes and adds.

        Each name's view is made once and kept, shared with the views made from
        it (SMTP asks for one a message: a copy of the store object each took
        about 5 % of the event loop's time under small messages).
        """
        views: dict[str, Self] = self.__dict__.setdefault("_views", {})
        view = views.get(name)
        if view is None:
            view = copy.copy(self)
            view._mailbox = check_mailbox(name)
            view._owner = False
            if len(views) >= VIEWS:  # names from logins and recipients: keep it bounded
                views.clear()
            views[name] = view
        return view

    def publish(self, events: Sequence[StoreEvent]) -> None:
        """Deliver ``events`` to the subscribers: changes made outside this store object.

        Such as rows another process wrote to an SQLite store's file.
        """
        self._announcer.announce(list(events))

    def close(self) -> None:
        """Finish pending writes, then close every connection; later calls raise StoreError."""
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
