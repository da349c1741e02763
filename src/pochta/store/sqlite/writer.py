"""The single writer thread: every change to the store goes through it.

Messages handed to :meth:`Writer.insert` are inserted in groups: all messages
that queued up while the previous commit was syncing go into one transaction
and share one fsync, so concurrent SMTP sessions do not each pay for their
own. A caller's callback learns the outcome only after the commit returns.

Ingest has two phases. A message inserted with ``complete=False`` (what
:meth:`Store.aadd` does) is committed with a summary read from its header
block alone (:mod:`pochta.message.headline`) and its sender is answered; the
indexer thread (:mod:`pochta.store.sqlite.indexer`) parses it fully afterwards. With
``complete=True`` (:meth:`Store.add`) the full parse happens before the
commit. Other changes (delete, read flags, tags, pruning, the indexer's
updates) run here too, in order, so the store has exactly one writing
connection and never waits on its own lock.

A message is summarised and compressed by the thread that hands it in
(:meth:`Writer.insert`), before it is queued: while the writer thread waits
for the previous commit's fsync (which releases the GIL), so that work is off
the commit's critical path, and without a thread hand-off of its own.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pochta.exceptions import StoreError, StoreFullError
from pochta.message.envelope import Envelope
from pochta.message.headline import read_headline
from pochta.message.parse import parse_message
from pochta.store.identity import new_id
from pochta.store.record import StoreEvent, Summary
from pochta.store.sqlite.indexer import INSERT_TEXT, text_values
from pochta.store.sqlite.row import INSERT_MESSAGE, row_values, summarise
from pochta.store.sqlite.tagging import write_tags

__all__ = ["COMPRESS_FROM", "StoreStats", "Writer", "pack", "store_error"]

logger = logging.getLogger(__name__)

COMPRESS_FROM = 1024  # bytes; see docs/store.md for the measurements
# From this size on, a 16 KiB sample is compressed first, and the message is
# stored as is unless the sample shrinks to SAMPLE_RATIO: base64 of already
# compressed data (images, PDFs, zip) shrinks only to about 0.77 at a cost of
# about 25 ms per MB.
SAMPLE_FROM = 64 * 1024
SAMPLE_SIZE = 16 * 1024
SAMPLE_RATIO = 0.7
MAX_GROUP = 512
MAX_GROUP_BYTES = 64 * 1024 * 1024

Settle = Callable[[Any, BaseException | None], None]


class StoreStats:
    """Counters of what the writer has done since the store was opened."""

    __slots__ = ("commits", "messages")

    def __init__(self) -> None:
        """Start every counter at zero."""
        self.commits = 0
        self.messages = 0


@dataclass(frozen=True, slots=True)
class _Insert:
    raw: bytes
    envelope: Envelope
    settle: Settle
    complete: bool


@dataclass(frozen=True, slots=True)
class _Prepared:
    job: _Insert
    summary: Summary
    inline: int
    encoding: int
    data: bytes
    text: tuple[str, str, str, str] | None  # the full-text row, when parsed fully


@dataclass(frozen=True, slots=True)
class _Call:
    work: Callable[[sqlite3.Connection], Any]
    settle: Settle


_STOP = object()


def store_error(exc: BaseException, path: Path, doing: str) -> StoreError:
    """Translate a failure into StoreFullError (disk full) or StoreError."""
    if isinstance(exc, StoreError):
        return exc
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code == sqlite3.SQLITE_FULL:
        return StoreFullError(
            f"the disk holding {path} is full, so pochta could not {doing}; "
            "free disk space or delete messages, then try again"
        )
    return StoreError(f"pochta could not {doing} in {path}: {exc}")


class Writer:
    """Own the writing connection and run every change on one thread."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        after_insert: Callable[[sqlite3.Connection, list[Summary]], list[StoreEvent]],
        announce: Callable[[list[StoreEvent]], None],
        expect: Callable[[list[str]], None] = lambda ids: None,
        unindexed: Callable[[], object] = lambda: None,
    ) -> None:
        """Start the thread.

        After each committed group ``after_insert`` runs on the writer thread
        (pruning; given the complete summaries) and returns the events,
        ``announce`` delivers them, ``unindexed`` is called if the group held
        messages still to be indexed, and only then are the callers told their ids.
        """
        self.stats = StoreStats()
        self._connection = connection
        self._path = path
        self._after_insert = after_insert
        self._announce = announce
        self._expect = expect
        self._unindexed = unindexed
        self._queue: queue.SimpleQueue[_Prepared | _Call | object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"pochta-store {path}", daemon=True)
        self._thread.start()

    @property
    def on_thread(self) -> bool:
        """Return True when called from the writer thread itself (e.g. a subscriber)."""
        return threading.current_thread() is self._thread

    def insert(self, raw: bytes, envelope: Envelope, settle: Settle, *, complete: bool) -> None:
        """Queue a message; ``settle(id, None)`` or ``settle(None, error)`` after commit.

        ``complete`` parses it fully before the commit; otherwise only its
        header block is read and the indexer completes it later. Either runs
        here, on the calling thread; StoreError if the store is closed.
        """
        job = _Insert(raw, envelope, settle, complete)
        try:
            prepared = _prepare(job, datetime.now(UTC))
        except Exception as exc:  # parse_message is total; this is MemoryError and kin
            _settle(settle, None, store_error(exc, self._path, "summarise a message"))
            return
        self._submit(prepared)

    def call(self, work: Callable[[sqlite3.Connection], Any], settle: Settle) -> None:
        """Queue ``work(connection)``; it runs on the writer thread, in order."""
        self._submit(_Call(work, settle))

    def _submit(self, job: _Prepared | _Call) -> None:
        with self._lock:
            if self._closed:
                raise StoreError(f"the store {self._path} is closed; open it again to write")
            self._queue.put(job)

    def close(self) -> None:
        """Finish every queued job, stop the threads and close the connection."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        if not self.on_thread:
            self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[_Prepared | _Call] = []
            size = 0
            job = self._queue.get()
            while job is not _STOP:
                assert isinstance(job, _Prepared | _Call)
                batch.append(job)
                size += len(job.data) if isinstance(job, _Prepared) else 0
                if len(batch) >= MAX_GROUP or size >= MAX_GROUP_BYTES:
                    break
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
            stopping = job is _STOP
            try:
                self._process(batch)
            except Exception:  # keep the thread alive: later callers must get answers
                logger.exception("the store writer failed on a batch")
        self._connection.close()

    def _process(self, batch: list[_Prepared | _Call]) -> None:
        """Run a batch in order; consecutive inserts share one transaction."""
        group: list[_Prepared] = []
        for job in batch:
            if isinstance(job, _Prepared):
                group.append(job)
                continue
            if group:
                self._insert_group(group)
                group = []
            self._call(job)
        if group:
            self._insert_group(group)

    def _call(self, job: _Call) -> None:
        try:
            result = job.work(self._connection)
        except BaseException as exc:
            _rollback(self._connection)
            _settle(job.settle, None, store_error(exc, self._path, "change the store"))
        else:
            _settle(job.settle, result, None)

    def _insert_group(self, prepared: list[_Prepared]) -> None:
        # Before the commit, so that the store owns these ids before anyone can read them.
        self._expect([item.summary.id for item in prepared])
        try:
            self._connection.execute("BEGIN IMMEDIATE")
            for item in prepared:
                _insert_one(self._connection, item)
            self._connection.execute("COMMIT")
        except BaseException as exc:
            _rollback(self._connection)
            error = store_error(exc, self._path, f"store {len(prepared)} message(s)")
            logger.error("%s", error)
            for item in prepared:
                _settle(item.job.settle, None, error)
            return
        self.stats.commits += 1
        self.stats.messages += len(prepared)
        self._after_commit(prepared)

    def _after_commit(self, prepared: list[_Prepared]) -> None:
        summaries = [item.summary for item in prepared if item.text is not None]
        try:
            # Before the callers hear back, so that a full store never shows one too many.
            events = self._after_insert(self._connection, summaries)
        except Exception:
            logger.exception("after-insert work of the store failed")
            events = []
        # Subscribers hear of a complete message before its sender does, so that
        # whoever waits on add() finds the event already delivered.
        self._announce(events)
        if len(summaries) < len(prepared):
            self._unindexed()
        for item in prepared:
            _settle(item.job.settle, item.summary.id, None)


def _insert_one(connection: sqlite3.Connection, item: _Prepared) -> None:
    values = row_values(item.summary, item.inline, indexed=item.text is not None)
    seq = connection.execute(INSERT_MESSAGE, values).lastrowid
    connection.execute(
        "INSERT INTO message_raw (seq, encoding, data) VALUES (?, ?, ?)",
        (seq, item.encoding, item.data),
    )
    assert seq is not None
    write_tags(connection, seq, item.summary.tags)
    if item.text is not None:
        connection.execute(INSERT_TEXT, (seq, *item.text))


def _prepare(job: _Insert, now: datetime) -> _Prepared:
    """Summarise (fully or from the headers) and compress one message, outside the transaction."""
    parsed = parse_message(job.raw) if job.complete else read_headline(job.raw)
    summary = summarise(new_id(), parsed, job.envelope, now)
    text = text_values(parsed, summary) if job.complete else None
    encoding, data = pack(job.raw)
    return _Prepared(job, summary, len(parsed.inline), encoding, data, text)


def pack(raw: bytes) -> tuple[int, bytes]:
    """Return (encoding, bytes) to store: zlib level 1 when that saves a tenth, else as is."""
    if len(raw) < COMPRESS_FROM:
        return 0, raw
    if len(raw) >= SAMPLE_FROM:
        middle = len(raw) // 2
        sample = raw[middle : middle + SAMPLE_SIZE]
        if len(zlib.compress(sample, 1)) > len(sample) * SAMPLE_RATIO:
            return 0, raw
    packed = zlib.compress(raw, 1)
    if len(packed) < len(raw) * 0.9:
        return 1, packed
    return 0, raw


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            logger.exception("rollback failed")


def _settle(settle: Settle, value: Any, error: BaseException | None) -> None:
    try:
        settle(value, error)
    except Exception:
        logger.exception("a store caller could not be told the outcome")
