"""Announcing what other catchers commit to the same database, as this store's own events.

The :class:`Follower` turns each :class:`~pochta.store.postgres.listener.Notice`
into :class:`~pochta.store.record.StoreEvent` records for this process's
subscribers: "new" with the summaries read back from the database, "update",
"delete", "prune" and "truncate" as they came. After the listening connection
was lost and found again, a "resync" event tells subscribers that changes
may have been missed (the inbox reloads its list).
"""

from __future__ import annotations

import logging
from typing import Any

from pochta.store.postgres import reader
from pochta.store.postgres.announcer import Announcer
from pochta.store.postgres.connection import connect
from pochta.store.postgres.listener import Listener, Notice
from pochta.store.record import StoreEvent

__all__ = ["READY_WAIT", "Follower"]

logger = logging.getLogger(__name__)

#: Seconds opening a following store waits for its first ``LISTEN``.
READY_WAIT = 5.0


class Follower:
    """Listen for other catchers' changes and announce them to this store's subscribers."""

    def __init__(self, pool: Any, url: str, origin: str, announcer: Announcer) -> None:
        """Start listening, and wait (a little) until the ``LISTEN`` is in place."""
        self._pool = pool
        self._announcer = announcer
        self._listener = Listener(url, origin, self._heard, lambda: connect(url))
        # A change committed once the store is open must not be missed.
        if not self._listener.wait_ready(READY_WAIT):
            logger.warning("not yet listening for other catchers' changes; still trying")

    def close(self) -> None:
        """Stop listening."""
        self._listener.close()

    def _heard(self, notice: Notice) -> None:
        if notice.kind == "new":
            self._announce_new(notice)
        elif notice.kind in ("update", "delete", "prune", "truncate", "resync"):
            self._announcer.announce(
                [StoreEvent(notice.kind, notice.ids, mailbox=notice.mailbox, remote=True)]
            )

    def _announce_new(self, notice: Notice) -> None:
        with self._pool.connection() as connection:
            rows = connection.execute(
                "SELECT seq FROM message WHERE id = ANY(%s)", (list(notice.ids),)
            ).fetchall()
            summaries = reader.read_summaries(connection, [seq for (seq,) in rows])
        # This process's own messages, indexed by another catcher, are claimed here:
        # whichever of this and the indexer's sweep comes first announces them.
        pending = set(self._announcer.pending())
        claimed = set(self._announcer.claim(s.id for s in summaries))
        # Another catcher's message is remote (it runs its own webhook and tag rules);
        # one of ours that it indexed first is still ours.
        events = [
            StoreEvent("new", (s.id,), s, mailbox=notice.mailbox, remote=s.id not in claimed)
            for s in reversed(summaries)  # oldest first, as they were committed
            if s.id in claimed or s.id not in pending
        ]
        self._announcer.announce(events)
        self._announcer.forget(claimed - {event.ids[0] for event in events})
