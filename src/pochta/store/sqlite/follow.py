"""Notice messages that another process adds to a store file, and announce them.

A store announces its own changes to its subscribers. Rows written by
*another* process on the same file (the ``store`` email backend, ``pochta
import``, a second :class:`~pochta.store.Store` on the file) are invisible to
those subscribers, so ``pochta serve`` runs a :class:`Follower`: a thread that
every :data:`INTERVAL` seconds asks SQLite whether the file changed (``PRAGMA
data_version``, one cheap call), and if it did, reads the rows past the last
one it knows and hands their summaries to :meth:`Store.publish` as "new"
events, exactly the events the store gives for its own messages.

::

    with open_store("mail.db") as store, Follower(store) as follower:
        store.subscribe(print)          # also hears of rows other processes add
        follower.start()

Only additions are followed. Deletions and read flags changed by another
process show on the next read of the API, without an event.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from types import TracebackType
from typing import Self

from pochta.exceptions import MessageNotFound, StoreError
from pochta.store.record import StoreEvent
from pochta.store.sqlite.connection import connect_reader
from pochta.store.sqlite.store import Store

__all__ = ["INTERVAL", "Follower"]

logger = logging.getLogger(__name__)

INTERVAL = 0.25
"""Seconds between two looks at the file (a message from another process shows within this)."""

_BATCH = 500  # rows read per query, so a large import is announced in steps


class Follower:
    """Announce rows that other processes add to ``store``'s file (see the module docstring).

    :meth:`poll` does one look (tests call it directly); :meth:`start` runs
    it on a daemon thread every ``interval`` seconds until :meth:`close`.
    """

    def __init__(self, store: Store, *, interval: float = INTERVAL) -> None:
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
                announced.extend(self._announce([id for _, id in rows]))
                if len(rows) < _BATCH:
                    return announced

    def _announce(self, ids: list[str]) -> list[str]:
        # The store announces its own rows once indexed; announces() knows them before that.
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
            events.append(StoreEvent("new", (id,), summary))
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

    def _rows_after(self, seq: int) -> list[tuple[int, str]]:
        if self._max_seq() < seq:
            # Rows past the top were deleted and SQLite reuses their numbers: go on
            # from the newest row that is older than the last one announced.
            row = self._connection.execute(
                "SELECT max(seq) FROM message WHERE created <= ?", (self._last_created,)
            ).fetchone()
            self._last_seq = seq = int(row[0] or 0)
        rows = self._connection.execute(
            "SELECT seq, id, created FROM message WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, _BATCH),
        ).fetchall()
        if rows:
            self._last_created = int(rows[-1][2])
        return [(int(s), str(i)) for s, i, _ in rows]

    def close(self) -> None:
        """Stop polling and close the connection (idempotent); the store stays open."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()
        self._unsubscribe()
        with self._lock:
            self._connection.close()
