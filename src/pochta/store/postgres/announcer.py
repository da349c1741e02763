"""The PostgreSQL store's events: deliver each once, and know which messages are still to come.

A message this process committed with a header-only summary is *pending*
until its "new" event: that event comes from this process's indexer, or,
when another catcher's indexer got to the message first, from the
notification that catcher sent. :meth:`Announcer.claim` decides which of
the two announces it, so a subscriber hears of every message exactly once.
"""

from __future__ import annotations

import threading
import time
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
        self._committed: set[str] = set()
        self._announcing: set[str] = set()  # claimed, their "new" event not yet delivered
        self._changed = threading.Condition()

    def subscribe(
        self, callback: Callable[[StoreEvent], None], *, mailbox: str | None = None
    ) -> Callable[[], None]:
        """Call ``callback`` with every event from now on (of ``mailbox`` only, if given).

        Return the unsubscribe function.
        """
        return self._subscribers.add(callback, mailbox=mailbox)

    def expect(self, ids: Iterable[str]) -> None:
        """Note ids about to be committed that will be announced after indexing."""
        with self._changed:
            self._pending.update(ids)

    def committed(self, ids: Iterable[str]) -> None:
        """Note that the pending ``ids`` are committed now (visible to every reader)."""
        with self._changed:
            self._committed.update(id for id in ids if id in self._pending)

    def pending(self, *, committed: bool = False) -> list[str]:
        """Return the ids of this process not announced yet (only the committed ones)."""
        with self._changed:
            return list(self._committed if committed else self._pending)

    def claim(self, ids: Iterable[str]) -> list[str]:
        """Return those of ``ids`` still pending: the caller announces them ("new"), once.

        They count as pending for :meth:`wait` until that event is delivered.
        """
        with self._changed:
            claimed = [id for id in ids if id in self._pending]
            self._pending.difference_update(claimed)
            self._committed.difference_update(claimed)
            self._announcing.update(claimed)
            return claimed

    def forget(self, ids: Iterable[str]) -> None:
        """Stop counting ``ids`` as pending (deleted before they were announced)."""
        with self._changed:
            gone = set(ids)
            self._pending -= gone
            self._committed -= gone
            self._announcing -= gone
            self._changed.notify_all()

    def announce(self, events: Sequence[StoreEvent]) -> None:
        """Deliver ``events`` in order; messages they remove stop being pending first."""
        removed = [id for event in events if event.kind in ("delete", "prune") for id in event.ids]
        if removed:
            self.forget(removed)
        self._subscribers.emit(events)
        new = [event.ids[0] for event in events if event.kind == "new" and event.ids]
        if new:
            with self._changed:
                self._announcing.difference_update(new)
                self._changed.notify_all()

    def wait(self, ids: Iterable[str], timeout: float) -> bool:
        """Wait until none of ``ids`` is pending; False after ``timeout`` with none announced.

        The clock starts again whenever one of them is announced: a long
        backlog that is being indexed is waited for, a stuck one is not.
        """
        waited = set(ids)
        deadline = time.monotonic() + timeout
        with self._changed:
            while left_over := waited & (self._pending | self._announcing):
                if len(left_over) < len(waited):
                    waited, deadline = left_over, time.monotonic() + timeout
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
        return True
