"""The second phase of ingest: parse committed messages fully, on a thread of its own.

A message stored by :meth:`SQLiteStore.aadd` is committed with a summary read
from its headers (``indexed = 0``) and its sender is answered at once; the
store then wakes the :class:`Indexer` (:meth:`Indexer.wake`). It reads such
rows in arrival order, completes each summary with
:func:`~pochta.store.summary.complete_summary`, and runs one update per batch
on the writer (:meth:`IndexWriter.run`): the complete summary, the search
columns, the full-text row and ``indexed = 1``. In that same step, after the
commit, it announces the messages ("new" events, through the
:class:`~pochta.store.sqlite.announcer.Announcer`), so a subscriber always gets
a complete summary and finds the message with :meth:`SQLiteStore.search`.

The update commits with ``synchronous=NORMAL``: it can be rebuilt from the raw
bytes, which were committed with FULL before the sender was answered. A crash
before the indexer got to a row leaves ``indexed = 0``, and the next open
indexes it. Rows another process inserted are indexed as well. After a
pass, it refolds the search rows an older schema left, if any
(:mod:`pochta.store.sqlite.refold`).
"""

from __future__ import annotations

import functools
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pochta.message.record import ParsedMessage
from pochta.store.record import StoreEvent, Summary
from pochta.store.sqlite import change, early
from pochta.store.sqlite.announcer import Announcer
from pochta.store.sqlite.connection import connect_reader
from pochta.store.sqlite.refold import refold_all
from pochta.store.sqlite.row import indexed_values, read_blob, read_summary, summary_from_row
from pochta.store.summary import SearchText, complete_summary, search_text

__all__ = [
    "BUSY_RATE",
    "DUTY",
    "FIRST_WORDS_GAP",
    "FLOOD_DUTY",
    "FLOOD_RATE",
    "KEEP_FROM",
    "SEARCHED_LATELY",
    "IndexWriter",
    "Indexer",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_BATCH = 64
_BATCH_BYTES = 8 * 1024 * 1024
#: While the writer takes more than BUSY_RATE messages a second, the indexer
#: works at most DUTY of the time: parsing holds the GIL, and every millisecond
#: it takes is one the SMTP sessions and the writer wait for (measured: ingest
#: of small messages fell from 2,600 to 680 a second with an unthrottled indexer;
#: a duty of 0.001 gave about 20 % more than 0.1, but then "new" events wait for
#: the end of any load over 100 messages a second; at 0.1 the indexer still
#: keeps up with about 200 a second). 20, not 100: 140 KB attachments arrive
#: at 40-200 a second and take 10-15 ms each to parse, so at 100 the indexer
#: ran unthrottled beside them and took three quarters of the GIL.
BUSY_RATE = 20.0
DUTY = 0.1
#: Over FLOOD_RATE messages a second no duty lets the indexer keep up (at 0.1 it
#: completes about 170 small messages a second), so it takes FLOOD_DUTY of the
#: time, and the flood is over, and the indexer at full speed, sooner: 2.5 KB
#: messages over four connections went from about 2,600 to 3,300 a second (with
#: 0.03; docs/store.md, "Measured"). Word searches meanwhile find the flood's
#: messages by their first words (FIRST_WORDS_GAP).
FLOOD_RATE = 500.0
FLOOD_DUTY = 0.03
#: From this size on a message is parsed with its links too, as Store.parsed()
#: does, and that parse is kept (``keep``): reading and scanning 27 MB again made
#: the first open of a 20 MB attachment 150 times a small one's (issue 17).
KEEP_FROM = 256 * 1024
#: Meanwhile, messages not parsed yet get their first words (pochta.store.sqlite.early)
#: before each word search (Indexer.first_words) and, for SEARCHED_LATELY seconds
#: after one, also every FIRST_WORDS_GAP seconds while the indexer rests, so that a
#: search has at most that much of a burst to catch up on. Not for every message
#: regardless: that costs about 0.1 ms of CPU a message (the glance, the row, and
#: taking it out again when the full row comes), also when nobody searches.
FIRST_WORDS_GAP = 0.1
SEARCHED_LATELY = 10.0
_FIRST_WORDS_BATCH = 128  # rows; their bytes are read only up to glance's 64 KiB each
# The bytes are read one message at a time, when it is parsed (row.read_blob).
_UNINDEXED = (
    "SELECT m.seq, m.id, m.created, m.read, m.summary, m.size, r.encoding"
    " FROM message AS m JOIN message_raw AS r USING (seq)"
    " WHERE m.indexed = 0 AND m.seq > ? ORDER BY m.seq LIMIT ?"
)


class IndexWriter(Protocol):
    """What the indexer needs of the store's :class:`~pochta.store.sqlite.writer.Writer`."""

    @property
    def inserted(self) -> int:
        """How many messages the writer has inserted so far (for the throttle)."""
        ...

    def run(self, work: Callable[[sqlite3.Connection], T], what: str = "indexing") -> T:
        """Run ``work(connection)`` on the writer thread and return its result."""
        ...


@dataclass(frozen=True, slots=True)
class _Indexed:
    summary: Summary
    text: SearchText
    parsed: ParsedMessage


class Indexer:
    """Index rows with ``indexed = 0`` on a daemon thread, woken after inserts."""

    def __init__(
        self,
        path: Path,
        *,
        writer: IndexWriter,
        announcer: Announcer,
        synchronous: str,
        keep: Callable[[str, ParsedMessage], None] | None = None,
    ) -> None:
        """Start the thread; it looks for unindexed rows at once (healing a crash).

        ``synchronous`` is the store's own setting, which the writer's
        connection gets back after each batch (see :func:`change.apply_index`).
        ``keep(id, parse)`` is given the full parse of each message from
        :data:`KEEP_FROM` bytes on, before its "new" event (the store caches it).
        """
        self._keep = keep
        self._path = path
        self._writer = writer
        self._announcer = announcer
        self._synchronous = synchronous
        self._rate_mark = (time.monotonic(), writer.inserted)
        self._condition = threading.Condition()
        self._requested = 1
        self._done = 0
        self._stopping = False
        self._stopped = threading.Event()  # what a rest waits on: close() ends it at once
        # The first words (see first_words): a connection of their own, up to which seq
        # (rows there before the open wait for the full parse, in order), after which
        # of the writer's inserts, at which ticket and time.
        self._early_lock = threading.Lock()
        self._early_connection: sqlite3.Connection | None = connect_reader(path)
        self._early_after = _last_seq(self._early_connection)
        self._early_inserted = writer.inserted
        self._early_ticket = 0
        self._early_at = 0.0
        self._searched_at = -SEARCHED_LATELY
        self._thread = threading.Thread(target=self._run, name=f"pochta-index {path}", daemon=True)
        self._thread.start()

    def wake(self) -> int:
        """Ask for a pass over unindexed rows; return a ticket for :meth:`wait`."""
        with self._condition:
            self._requested += 1
            self._condition.notify_all()
            return self._requested

    def wait(self, ticket: int, timeout: float | None = None) -> bool:
        """Wait until the pass of ``ticket`` is done (or the indexer stopped)."""
        with self._condition:
            return self._condition.wait_for(
                lambda: self._done >= ticket or self._stopping, timeout
            )

    def close(self, *, wait: bool = True) -> None:
        """Stop after the message being parsed; rows left unindexed wait for the next open.

        ``wait=False`` does not wait for the thread (it may be waiting on the caller).
        """
        with self._condition:
            self._stopping = True
            self._stopped.set()
            self._condition.notify_all()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()
        with self._early_lock:
            if self._early_connection is not None:
                self._early_connection.close()
                self._early_connection = None

    def first_words(self) -> None:
        """Give the rows this store committed since the last time their first words now.

        What a word search calls first (see :mod:`pochta.store.sqlite.early`):
        nothing to do, when nothing was inserted since, costs no SQL. A failure
        is logged, not raised: the search goes on without these rows.
        """
        self._searched_at = time.monotonic()
        if self._writer.inserted == self._early_inserted or self._stopping:
            return
        try:
            self._first_words()
        except Exception:  # e.g. the store closing meanwhile
            logger.debug("first words before a search failed", exc_info=True)

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._requested > self._done or self._stopping)
                if self._stopping:
                    break
                ticket = self._requested
            try:
                connection = connection or connect_reader(self._path)
                self._index_all(connection)
            except Exception:  # keep the thread: the rows stay unindexed until the next wake
                logger.exception("indexing messages in %s failed; will retry", self._path)
                time.sleep(0.1)
            with self._condition:
                self._done = max(self._done, ticket)
                self._condition.notify_all()
        if connection is not None:
            connection.close()

    def _index_all(self, connection: sqlite3.Connection) -> None:
        after = 0
        while not self._stopping:
            rows = _unindexed(connection, after)
            if not rows:
                # Then the search rows of an older schema, if any are left (refold.py).
                refold_all(connection, self._writer, self._pause, lambda: self._stopping)
                return
            after = rows[-1][0]
            batch = []
            for row in rows:
                if self._stopping:
                    return
                started = time.monotonic()
                indexed = _index_row(connection, row)
                batch += [indexed] if indexed is not None else []
                self._pause(time.monotonic() - started)
            self._writer.run(functools.partial(self._complete, batch=batch), "indexing")

    def _pause(self, spent: float) -> None:
        """After ``spent`` seconds of work, rest to keep to DUTY (or FLOOD_DUTY) while busy."""
        rate = self._rate()
        if rate > BUSY_RATE:
            duty = FLOOD_DUTY if rate > FLOOD_RATE else DUTY
            # Resting releases the GIL: the event loop and the writer go first.
            self._rest(spent * (1 - duty) / duty)

    def _rest(self, seconds: float) -> None:
        """Sleep ``seconds``; meanwhile, if words were searched lately, give the rows
        committed since their first words (every FIRST_WORDS_GAP)."""
        deadline = time.monotonic() + seconds
        while not self._stopping and (now := time.monotonic()) < deadline:
            if now - self._searched_at > SEARCHED_LATELY:
                self._stopped.wait(deadline - now)
                return
            ready = self._early_at + FIRST_WORDS_GAP
            if now < ready:
                self._stopped.wait(min(ready, deadline) - now)
                continue
            with self._condition:
                woken = self._condition.wait_for(
                    lambda: self._requested > self._early_ticket or self._stopping,
                    deadline - now,
                )
            if woken and not self._stopping:
                self._first_words()

    def _first_words(self) -> None:
        """Write the first search rows of every unindexed row committed since the last time."""
        with self._early_lock:
            if self._early_connection is None:  # closed
                return
            with self._condition:
                self._early_ticket = self._requested
            self._early_at = time.monotonic()
            self._early_inserted = self._writer.inserted
            while texts := early.read_new(
                self._early_connection, self._early_after, _FIRST_WORDS_BATCH
            ):
                self._early_after = texts[-1][0]
                work = functools.partial(
                    early.write_first_words, texts=texts, synchronous=self._synchronous
                )
                self._writer.run(work, "indexing")

    def _complete(self, connection: sqlite3.Connection, batch: list[_Indexed]) -> None:
        """Write a batch (on the writer thread), then announce each message it completed."""
        values = [
            (indexed_values(i.summary, len(i.parsed.inline)), i.text, i.parsed) for i in batch
        ]
        done = change.apply_index(connection, values, self._synchronous)
        if self._keep is not None:
            completed = {id for id, _ in done}
            for i in batch:
                if i.summary.size >= KEEP_FROM and i.summary.id in completed:
                    self._keep(i.summary.id, i.parsed)
        events = []
        for id, mailbox in done:
            summary = read_summary(connection, id)
            if summary is not None:
                events.append(StoreEvent("new", (id,), summary, mailbox))
        self._announcer.announce(events)
        # After the events: announces() stays true until the "new" event is out.
        self._announcer.forget(i.summary.id for i in batch)

    def _rate(self) -> float:
        """Return how many messages a second the writer takes now (over the last 0.25 s or so)."""
        now, count = time.monotonic(), self._writer.inserted
        then, before = self._rate_mark
        if now - then >= 0.25:
            self._rate_mark = (now, count)
        return (count - before) / max(now - then, 0.05)


def _last_seq(connection: sqlite3.Connection) -> int:
    return int(connection.execute("SELECT coalesce(max(seq), 0) FROM message").fetchone()[0])


def _unindexed(connection: sqlite3.Connection, after: int) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    size = 0
    connection.execute("BEGIN")
    cursor = connection.execute(_UNINDEXED, (after, _BATCH))
    try:
        for row in cursor:
            rows.append(row)
            size += int(row[5])
            if size >= _BATCH_BYTES:
                break
    finally:
        cursor.close()
        connection.execute("COMMIT")
    return rows


def _index_row(connection: sqlite3.Connection, row: tuple[Any, ...]) -> _Indexed | None:
    """Parse one unindexed row, checksums of its files too; None if it was deleted meanwhile."""
    seq, id, created, read, data, size, encoding = row
    try:
        raw = read_blob(connection, seq, size, encoding)
    except sqlite3.OperationalError:  # no such row any more
        return None
    headline = summary_from_row((id, created, read, len(raw), "", "", data))
    summary, parsed = complete_summary(headline, raw, checksums=True, links=size >= KEEP_FROM)
    return _Indexed(summary, search_text(parsed, summary), parsed)
