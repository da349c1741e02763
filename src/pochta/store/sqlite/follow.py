"""Notice messages that another process adds to a store file, and announce them.

A store announces its own changes to its subscribers. Rows written by
*another* process on the same file (the ``store`` email backend, ``pochta
import``, a second store on the file) are invisible to those subscribers, so
a store opened with ``follow=True`` (what ``pochta serve`` does) runs a
:class:`Follower`: a thread that
every :data:`INTERVAL` seconds asks SQLite whether the file changed (``PRAGMA
data_version``, one cheap call), and if it did, reads the rows past the last
one it knows and hands their summaries to :meth:`Store.publish` as "new"
events, exactly the events the store gives for its own messages.

::

    with open_store("mail.db", follow=True) as store:
        store.subscribe(print)          # also hears of rows other processes add

Only additions are followed. Deletions and read flags changed by another
process show on the next read of the API, without an event.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

from pochta.exceptions import MessageNotFound, StoreError
from pochta.store.record import StoreEvent, Summary
from pochta.store.sqlite.connection import connect_reader

__all__ = ["INTERVAL", "Followed", "Follower"]

logger = logging.getLogger(__name__)

INTERVAL = 0.25
"""Seconds between two looks at the file (a message from another process shows within this)."""

_BATCH = 500  # rows read per query, so a large import is announced in steps


class Followed(Protocol):
    """What the follower needs of its store (:class:`~pochta.store.sqlite.store.SQLiteStore`)."""

    @property
    def path(self) -> Path:
        """The store's file."""
        ...

    def announces(self, id: str) -> bool:
        """Whether the store itself committed ``id`` and will announce it."""
        ...

    def flush(self, *, index: bool = True) -> None:
        """Wait for the store's queued changes and their events."""
        ...

    def summary(self, id: str) -> Summary:
        """The summary of a stored message."""
        ...

    def publish(self, events: Sequence[StoreEvent]) -> None:
        """Deliver events to the store's subscribers."""
        ...

    def subscribe(self, callback: Callable[[StoreEvent], None]) -> Callable[[], None]:
        """Hear the store's own events."""
        ...


class Follower:
    """Announce rows that other processes add to ``store``'s file (see the module docstring).

    :meth:`poll` does one look (tests call it directly); :meth:`start` runs
    it on a daemon thread every ``interval`` seconds until :meth:`close`.
    """

    def __init__(self, store: Followed, *, interval: float = INTERVAL) -> None:
        """Remember where the file stands now: rows already there are not announced."""
        self._store = store
        self._interval = interval
        self._connection = connect_reader(store.path)
        self._version = self._data_version()
        self._last_seq = self._max_seq()
        self._last_created = self._max_created()
        # Ids this process stored itself (the store announced them already).
        self._own: set[str] = set()
        self._unsubscribe = store.subscribe(self._note_own)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _note_own(self, event: StoreEvent) -> None:
        if event.kind == "new":
            self._own.update(event.ids)
        elif event.kind in ("delete", "prune"):
            self._own.difference_update(event.ids)
        elif event.kind == "truncate":
            self._own.clear()

    def start(self) -> None:
        """Poll on a daemon thread until :meth:`close`."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"pochta-follow {self._store.path}", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        try:
            self._follow()
        finally:
            with self._lock:
                self._connection.close()

    def _follow(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.poll()
            except StoreError:
                if self._stop.is_set():
                    return
                logger.exception("following %s failed; trying again", self._store.path)
            except sqlite3.Error:
                logger.exception("following %s failed; trying again", self._store.path)

    def poll(self) -> list[str]:
        """Look once; announce rows another process added since the last look; return their ids."""
        with self._lock:
            version = self._data_version()
            if version == self._version:
                return []
            self._version = version
            announced: list[str] = []
            while True:
                rows = self._rows_after(self._last_seq)
                if not rows:
                    return announced
                self._last_seq = rows[-1][0]
                announced.extend(self._announce([(id, box) for _, id, box in rows]))
                if len(rows) < _BATCH:
                    return announced

    def _announce(self, rows: list[tuple[str, str]]) -> list[str]:
        # The store announces its own rows once indexed; announces() knows them before that.
        ids = [id for id, _ in rows]
        mailbox_of = dict(rows)
        foreign = [id for id in ids if id not in self._own and not self._store.announces(id)]
        if foreign:
            # A row this process just committed may not be announced yet: wait
            # for the writer, so that its own event has reached _note_own.
            self._store.flush()
            foreign = [id for id in foreign if id not in self._own]
        self._own.difference_update(ids)
        events = []
        for id in foreign:
            try:
                summary = self._store.summary(id)
            except MessageNotFound:  # deleted again before we looked
                continue
            events.append(StoreEvent("new", (id,), summary, mailbox_of[id]))
        if events:
            self._store.publish(events)
        return [event.ids[0] for event in events]

    def _data_version(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def _max_seq(self) -> int:
        row = self._connection.execute("SELECT max(seq) FROM message").fetchone()
        return int(row[0] or 0)

    def _max_created(self) -> int:
        row = self._connection.execute("SELECT max(created) FROM message").fetchone()
        return int(row[0] or 0)

    def _rows_after(self, seq: int) -> list[tuple[int, str, str]]:
        if self._max_seq() < seq:
            # Rows past the top were deleted and SQLite reuses their numbers: go on
            # from the newest row that is older than the last one announced.
            row = self._connection.execute(
                "SELECT max(seq) FROM message WHERE created <= ?", (self._last_created,)
            ).fetchone()
            self._last_seq = seq = int(row[0] or 0)
        rows = self._connection.execute(
            "SELECT seq, id, created, mailbox FROM message WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, _BATCH),
        ).fetchall()
        if rows:
            self._last_created = int(rows[-1][2])
        return [(int(s), str(i), str(box)) for s, i, _, box in rows]

    def close(self, *, wait: bool = True) -> None:
        """Stop polling and close the connection (idempotent); the store stays open.

        ``wait=False`` does not wait for a look in progress (it may be waiting on the caller).
        """
        self._stop.set()
        self._unsubscribe()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            if not wait:
                return  # the thread closes the connection as it ends
            thread.join()
        with self._lock:
            self._connection.close()
