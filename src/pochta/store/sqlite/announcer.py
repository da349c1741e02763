"""The SQLite store's events: deliver them, and know which messages are still to be announced.

Three places announce: the writer after a group of complete inserts (and
the pruning that follows it), the indexer after completing messages that
:meth:`~pochta.store.sqlite.store.SQLiteStore.aadd` committed, and the store
after every other change. Between its commit and its "new" event a message
is *pending*: :meth:`Announcer.announces` tells
:mod:`pochta.store.sqlite.follow` that such a row is this process's own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence

from pochta.store.record import StoreEvent
from pochta.store.subscriber import Subscribers

__all__ = ["Announcer"]


class Announcer:
    """Deliver :class:`StoreEvent` records to subscribers; track messages not yet announced."""

    def __init__(self) -> None:
        """Start with no subscribers and nothing pending."""
        self._subscribers = Subscribers()
        self._pending: set[str] = set()
        self._lock = threading.Lock()

    def subscribe(
        self, callback: Callable[[StoreEvent], None], *, mailbox: str | None = None
    ) -> Callable[[], None]:
        """Call ``callback`` with every event from now on (of ``mailbox`` only, if given).

        Return the unsubscribe function.
        """
        return self._subscribers.add(callback, mailbox=mailbox)

    def expect(self, ids: Iterable[str]) -> None:
        """Note ids about to be committed (the writer, just before its commit)."""
        with self._lock:
            self._pending.update(ids)

    def announce(self, events: Sequence[StoreEvent]) -> None:
        """Deliver ``events`` in order.

        Messages an event removes stop being pending before it is delivered;
        those a "new" event announces only after it, so that :meth:`announces`
        is still True while subscribers hear of them.
        """
        if not events:
            return
        with self._lock:
            for event in events:
                if event.kind == "truncate":
                    self._pending.clear()
                elif event.kind in ("delete", "prune"):
                    self._pending.difference_update(event.ids)
        self._subscribers.emit(events)
        with self._lock:
            for event in events:
                if event.kind == "new":
                    self._pending.difference_update(event.ids)

    def forget(self, ids: Iterable[str]) -> None:
        """Stop counting ``ids`` as pending (indexed elsewhere, or gone without an event)."""
        with self._lock:
            self._pending.difference_update(ids)

    def announces(self, id: str) -> bool:
        """Return True from just before ``id``'s commit until its "new" event is delivered."""
        with self._lock:
            return id in self._pending
