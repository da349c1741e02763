"""The single writer thread: every change to the store goes through it.

Messages handed to :meth:`Writer.insert` are parsed on this thread (never on
the caller's event loop) and inserted in groups: all messages that queued up
while the previous commit was syncing go into one transaction and share one
fsync, so concurrent SMTP sessions do not each pay for their own. A caller's
callback learns the outcome only after the commit returns. Other changes
(delete, read flags, pruning) run here too, in order, so the store has
exactly one writing connection and never waits on its own lock.
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
from pochta.store.envelope import Envelope
from pochta.store.parse import parse_message
from pochta.store.records import StoreEvent, Summary
from pochta.store.rows import new_id, row_values, summarise

__all__ = ["COMPRESS_FROM", "StoreStats", "Writer", "store_error"]

logger = logging.getLogger(__name__)

COMPRESS_FROM = 1024  # bytes; see docs/store.md for the measurements
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
    ) -> None:
        """Start the thread.

        After each committed group ``after_insert`` runs on the writer thread
        (pruning) and returns the events, ``announce`` delivers them, and only
        then are the callers told their ids.
        """
        self.stats = StoreStats()
        self._connection = connection
        self._path = path
        self._after_insert = after_insert
        self._announce = announce
        self._queue: queue.SimpleQueue[_Insert | _Call | object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"pochta-store {path}", daemon=True)
        self._thread.start()

    @property
    def on_thread(self) -> bool:
        """Return True when called from the writer thread itself (e.g. a subscriber)."""
        return threading.current_thread() is self._thread

    def insert(self, raw: bytes, envelope: Envelope, settle: Settle) -> None:
        """Queue a message; ``settle(id, None)`` or ``settle(None, error)`` after commit."""
        self._submit(_Insert(raw, envelope, settle))

    def call(self, work: Callable[[sqlite3.Connection], Any], settle: Settle) -> None:
        """Queue ``work(connection)``; it runs on the writer thread, in order."""
        self._submit(_Call(work, settle))

    def _submit(self, job: _Insert | _Call) -> None:
        with self._lock:
            if self._closed:
                raise StoreError(f"the store {self._path} is closed; open it again to write")
            self._queue.put(job)

    def close(self) -> None:
        """Finish every queued job, stop the thread and close the connection."""
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
            batch: list[_Insert | _Call] = []
            size = 0
            job = self._queue.get()
            while job is not _STOP:
                assert isinstance(job, _Insert | _Call)
                batch.append(job)
                size += len(job.raw) if isinstance(job, _Insert) else 0
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

    def _process(self, batch: list[_Insert | _Call]) -> None:
        """Run a batch in order; consecutive inserts share one transaction."""
        group: list[_Insert] = []
        for job in batch:
            if isinstance(job, _Insert):
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

    def _insert_group(self, group: list[_Insert]) -> None:
        now = datetime.now(UTC)
        prepared = []
        for job in group:
            try:
                prepared.append((job, _prepare(job, now)))
            except Exception as exc:  # parse_message is total; this is MemoryError and kin
                _settle(job.settle, None, store_error(exc, self._path, "summarise a message"))
        if not prepared:
            return
        try:
            self._connection.execute("BEGIN IMMEDIATE")
            for _, (summary, encoding, data) in prepared:
                cursor = self._connection.execute(
                    "INSERT INTO message (id, created, read, size, message_id, subject, sender,"
                    " summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row_values(summary),
                )
                self._connection.execute(
                    "INSERT INTO message_raw (seq, encoding, data) VALUES (?, ?, ?)",
                    (cursor.lastrowid, encoding, data),
                )
            self._connection.execute("COMMIT")
        except BaseException as exc:
            _rollback(self._connection)
            error = store_error(exc, self._path, f"store {len(prepared)} message(s)")
            logger.error("%s", error)
            for job, _ in prepared:
                _settle(job.settle, None, error)
            return
        self.stats.commits += 1
        self.stats.messages += len(prepared)
        summaries = [summary for _, (summary, _, _) in prepared]
        try:
            # Before the callers hear back, so that a full store never shows one too many.
            events = self._after_insert(self._connection, summaries)
        except Exception:
            logger.exception("after-insert work of the store failed")
            events = []
        # Subscribers hear of a message before its sender does, so that whoever
        # waits on add() finds the event already delivered.
        self._announce(events)
        for job, (summary, _, _) in prepared:
            _settle(job.settle, summary.id, None)


def _prepare(job: _Insert, now: datetime) -> tuple[Summary, int, bytes]:
    """Parse and compress one message (outside the transaction)."""
    summary = summarise(new_id(), parse_message(job.raw), job.envelope, now)
    if len(job.raw) >= COMPRESS_FROM:
        packed = zlib.compress(job.raw, 1)
        if len(packed) < len(job.raw) * 0.9:
            return summary, 1, packed
    return summary, 0, job.raw


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
