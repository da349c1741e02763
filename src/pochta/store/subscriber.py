"""Deliver :class:`StoreEvent` records to subscribers, shielding the store from them."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from pochta.store.record import StoreEvent

__all__ = ["Subscribers"]

logger = logging.getLogger(__name__)


class Subscribers:
    """A thread-safe list of callbacks; one that raises is logged and skipped."""

    def __init__(self) -> None:
        """Start with no subscribers."""
        self._callbacks: list[Callable[[StoreEvent], None]] = []
        self._lock = threading.Lock()

    def add(
        self, callback: Callable[[StoreEvent], None], *, mailbox: str | None = None
    ) -> Callable[[], None]:
        """Subscribe ``callback``; return a function that unsubscribes it (idempotent).

        With a ``mailbox`` it hears only the events of that mailbox and those
        of every mailbox (``event.mailbox`` None): a view's subscriber.
        """
        if mailbox is not None:
            callback = _only(mailbox, callback)
        with self._lock:
            self._callbacks.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._callbacks:
                    self._callbacks.remove(callback)

        return unsubscribe

    def emit(self, events: Iterable[StoreEvent]) -> None:
        """Call every subscriber with each event, in order."""
        with self._lock:
            callbacks = list(self._callbacks)
        for event in events:
            for callback in callbacks:
                try:
                    callback(event)
                except Exception:
                    logger.exception("store subscriber %r failed on %r", callback, event.kind)


def _only(mailbox: str, callback: Callable[[StoreEvent], None]) -> Callable[[StoreEvent], None]:
    def mine(event: StoreEvent) -> None:
        if event.mailbox in (None, mailbox):
            callback(event)

    return mine
