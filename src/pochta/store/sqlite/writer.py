"""The single writer thread: every change to the store goes through it.

Messages handed to :meth:`Writer.insert` are inserted in groups: all messages
that queued up while the previous commit was syncing go into one transaction
and share one fsync, so concurrent SMTP sessions do not each pay for their
own. A caller's callback learns the outcome only after the commit returns.

After each group's commit the writer prunes (:class:`~pochta.store.limit.Limits`),
announces the group's complete messages and the pruning through the
:class:`~pochta.store.sqlite.announcer.Announcer`, and only then settles each
caller. Other changes (delete, read flags, tags, the indexer's updates) run
here too, in order (:meth:`Writer.run`), so this process has one writing
connection and never waits on its own lock. (``pochta serve``'s ingest
process, :mod:`pochta.store.sqlite.ingest`, is a second writer of the file:
SQLite's lock orders the two, and either may wait for the other's commit.)

Ingest has two phases. :func:`prepare` with ``complete=False`` (what
:meth:`SQLiteStore.aadd` does) summarises a message from its header block
alone (:mod:`pochta.message.headline`); it is committed so, its sender is
answered, and the indexer thread (:mod:`pochta.store.sqlite.indexer`) parses
it fully afterwards. With ``complete=True`` (:meth:`SQLiteStore.add`) the full
parse happens before the commit, and the writer announces it.

A message of :meth:`SQLiteStore.aadd` below ``PREPARE_INLINE_BELOW`` bytes
is queued as it came (:class:`Unprepared`) and prepared (summarised and
compressed) here, on the writer thread, with the rest of its group: the event
loop, which every SMTP session shares, then only talks SMTP, and the writer's
Python work comes in one stretch per group instead of the GIL changing hands at
each message's zlib and random-number calls (2.5 KB messages over four
connections: about 2,300 to 3,000 a second; docs/store.md, "Measured"). From
``PREPARE_INLINE_BELOW`` bytes on, a packing thread (:class:`Packers`,
:meth:`Writer.insert_large`) prepares the message, for its compression, and
queues it itself; :meth:`SQLiteStore.add` prepares (parses fully) on the
calling thread before it queues.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pochta.exceptions import StoreError
from pochta.store.limit import Limits
from pochta.store.mailbox import events_by_mailbox
from pochta.store.record import StoreEvent
from pochta.store.settle import Settle, settle_all, settle_logged, settler
from pochta.store.sqlite import change
from pochta.store.sqlite.announcer import Announcer
from pochta.store.sqlite.connection import store_error
from pochta.store.sqlite.prepared import Packers, Prepared, Unprepared, prepare
from pochta.store.sqlite.row import INSERT_MESSAGE, INSERT_TEXT, row_values, text_values
from pochta.store.sqlite.syncer import Syncer
from pochta.store.sqlite.tagging import write_tags

__all__ = [
    "BLOB_WRITE_FROM",
    "ReadOnly",
    "Settle",
    "StoreStats",
    "Writer",
    "commit_rows",
    "prune_after",
    "settler",
]

logger = logging.getLogger(__name__)

T = TypeVar("T")
MAX_GROUP = 512
MAX_GROUP_BYTES = 64 * 1024 * 1024
#: Stored bytes from this size on are written through SQLite's blob I/O, not bound
#: as a value (which SQLite copies whole before writing: one copy more of a large message).
BLOB_WRITE_FROM = 1024 * 1024


class StoreStats:
    """Counters of what the writer and the ingest process have done since the store opened."""

    __slots__ = ("_lock", "commits", "messages")

    def __init__(self) -> None:
        """Start every counter at zero."""
        self.commits = 0
        self.messages = 0
        self._lock = threading.Lock()

    def count(self, messages: int) -> None:
        """Count one commit of ``messages`` inserts (from any thread)."""
        with self._lock:
            self.commits += 1
            self.messages += messages


@dataclass(frozen=True, slots=True)
class _Insert:
    prepared: Prepared | Unprepared
    settle: Settle


@dataclass(frozen=True, slots=True)
class _Call:
    work: Callable[[sqlite3.Connection], Any]
    settle: Settle


_STOP = object()


class Writer:
    """Own the writing connection and run every change on one thread, inserts in groups."""

    def __init__(
        self,
        connection: sqlite3.Connection,
        path: Path,
        *,
        announcer: Announcer,
        limits: Limits,
    ) -> None:
        """Start the thread; ``announcer`` hears each group's events, ``limits`` prune after it.

        A connection that does not sync at commit (``synchronous=NORMAL``:
        ``durability="normal"``) gets a :class:`~pochta.store.sqlite.syncer.Syncer`,
        which syncs each commit to the disk soon after it, and checkpoints in
        its stead (off the commits' path).
        """
        self.stats = StoreStats()
        normal = connection.execute("PRAGMA synchronous").fetchone()[0] == 1
        self._syncer = Syncer(path, connection) if normal else None
        self._connection = connection
        self._path = path
        self._announcer = announcer
        self._limits = limits
        self._queue: queue.SimpleQueue[_Insert | _Call | object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._packers = Packers(self._prepare, self.insert)
        self._thread = threading.Thread(target=self._run, name=f"pochta-store {path}", daemon=True)
        self._thread.start()

    @property
    def on_thread(self) -> bool:
        """Return True when called from the writer thread itself (e.g. a subscriber)."""
        return threading.current_thread() is self._thread

    @property
    def inserted(self) -> int:
        """Return how many messages the writer has inserted since the store was opened."""
        return self.stats.messages

    def refuse_on_thread(self, what: str) -> None:
        """Raise StoreError if called from the writer thread: waiting there would never end."""
        if self.on_thread:
            raise StoreError(
                f"{what} was called from a store subscriber; subscribers run on the "
                "writer thread, so hand the work to another thread or the event loop"
            )

    def insert(self, prepared: Prepared | Unprepared, settle: Settle) -> None:
        """Queue a message; ``settle(id, None)`` or ``settle(None, error)`` after the commit.

        An :class:`Unprepared` one is prepared on the writer thread, before its group's commit.

        StoreError if the store is closed.
        """
        self._submit(_Insert(prepared, settle))

    def insert_large(self, item: Unprepared, settle: Settle) -> None:
        """Queue a large message once a packing thread has prepared it (compressed it)."""
        with self._lock:
            if self._closed or self._packers.stopped:
                raise StoreError(f"the store {self._path} is closed; open it again to write")
            try:
                self._packers.submit(item, settle)
            except RuntimeError as error:  # no thread could be started
                raise store_error(error, self._path, "prepare a large message") from error

    def _prepare(self, item: Unprepared) -> Prepared:
        """Summarise ``item`` from its header block and pack it; StoreError if that fails."""
        try:
            return prepare(item.raw, item.envelope, complete=False, mailbox=item.mailbox)
        except Exception as exc:  # the header read is total; this is MemoryError and kin
            raise store_error(exc, self._path, "summarise a message") from exc

    def call(self, work: Callable[[sqlite3.Connection], Any], settle: Settle) -> None:
        """Queue ``work(connection)``; it runs on the writer thread, in order."""
        self._submit(_Call(work, settle))

    def run(self, work: Callable[[sqlite3.Connection], T], what: str = "changing the store") -> T:
        """Run ``work(connection)`` on the writer thread and return its result (or raise)."""
        self.refuse_on_thread(what)
        future: Future[T] = Future()
        self.call(work, settler(future))
        return future.result()

    def _submit(self, job: _Insert | _Call) -> None:
        with self._lock:
            if self._closed:
                raise StoreError(f"the store {self._path} is closed; open it again to write")
            self._queue.put(job)

    def close(self) -> None:
        """Finish every queued job, stop the thread and close the connection."""
        with self._lock:
            self._packers.stop()
        if not self.on_thread:
            self._packers.join()  # large messages being prepared join the queue first
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        if not self.on_thread:
            self._thread.join()

    def _committed(self) -> None:
        if self._syncer is not None:
            self._syncer.committed()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[_Insert | _Call] = []
            size = 0
            job = self._queue.get()
            while job is not _STOP:
                assert isinstance(job, _Insert | _Call)
                batch.append(job)
                size += len(job.prepared.data) if isinstance(job, _Insert) else 0
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
        if self._syncer is not None:
            self._syncer.close()

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
            settle_logged(job.settle, None, store_error(exc, self._path, "change the store"))
        else:
            self._committed()
            settle_logged(job.settle, result, None)

    def _insert_group(self, jobs: list[_Insert]) -> None:
        group = self._prepare_group(jobs)
        if not group:
            return
        # Before the commit, so that the store owns these ids before anyone can read them.
        self._announcer.expect(prepared.summary.id for prepared, _ in group)
        error = commit_rows(self._connection, self._path, [prepared for prepared, _ in group])
        if error is not None:
            self._announcer.forget(prepared.summary.id for prepared, _ in group)
            for _, settle in group:
                settle_logged(settle, None, error)
            return
        self.stats.count(len(group))
        self._committed()
        self._after_commit(group)

    def _prepare_group(self, jobs: list[_Insert]) -> list[tuple[Prepared, Settle]]:
        """Prepare the group's :class:`Unprepared` messages; one that fails is answered so."""
        group = []
        for job in jobs:
            item = job.prepared
            if isinstance(item, Prepared):
                group.append((item, job.settle))
                continue
            try:
                group.append((self._prepare(item), job.settle))
            except StoreError as error:
                settle_logged(job.settle, None, error)
        return group

    def _after_commit(self, group: list[tuple[Prepared, Settle]]) -> None:
        """Prune, announce the complete messages, then answer the callers."""
        events = [
            StoreEvent("new", (prepared.summary.id,), prepared.summary, prepared.mailbox)
            for prepared, _ in group
            if prepared.text is not None
        ]
        # Before the callers hear back, so that a full store never shows one too many.
        events += events_by_mailbox(
            "prune", prune_after(self._connection, self._path, self._limits)
        )
        # Subscribers hear of a complete message before its sender does, so that
        # whoever waits on add() finds the event already delivered.
        self._announcer.announce(events)
        settle_all([(settle, prepared.summary.id, None) for prepared, settle in group])


class ReadOnly:
    """The writer of a store opened read-only: it refuses every change with StoreError."""

    def __init__(self, path: Path) -> None:
        """Refuse changes to the store at ``path``."""
        self.stats = StoreStats()
        self._path = path

    on_thread = False
    inserted = 0

    def refuse_on_thread(self, what: str) -> None:
        """Refuse ``what``: nothing may change a store opened read-only."""
        raise StoreError(
            f"the store {self._path} is open read-only, so {what} cannot change it; "
            "open it without read_only to change it"
        )

    def insert(self, prepared: Prepared | Unprepared, settle: Settle) -> None:
        """Refuse the message."""
        self.refuse_on_thread("adding a message")

    def insert_large(self, item: Unprepared, settle: Settle) -> None:
        """Refuse the message."""
        self.refuse_on_thread("adding a message")

    def run(self, work: Callable[[sqlite3.Connection], T], what: str = "changing the store") -> T:
        """Refuse ``work``."""
        self.refuse_on_thread(what)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Nothing to finish."""


def prune_after(connection: sqlite3.Connection, path: Path, limits: Limits) -> change.Touched:
    """Apply ``limits`` after a group's commit; return what went (nothing if that failed)."""
    if not limits.active:
        return []
    try:
        return change.prune(connection, limits)
    except Exception:  # the inserts stand; the next group or prune() tries again
        logger.exception("pruning %s failed; it will be retried", path)
        return []


def commit_rows(
    connection: sqlite3.Connection, path: Path, group: list[Prepared]
) -> StoreError | None:
    """Insert ``group`` in one transaction and commit; if that fails, roll back and return why."""
    try:
        connection.execute("BEGIN IMMEDIATE")
        _insert_rows(connection, group)
        connection.execute("COMMIT")
    except BaseException as exc:
        _rollback(connection)
        error = store_error(exc, path, f"store {len(group)} message(s)")
        logger.error("%s", error)
        return error
    return None


def _insert_rows(connection: sqlite3.Connection, group: list[Prepared]) -> None:
    """Insert a group's rows: each table's in one ``executemany`` (inside the transaction)."""
    last = connection.execute("SELECT coalesce(max(seq), 0) FROM message").fetchone()[0]
    numbered = list(enumerate(group, start=last + 1))
    connection.executemany(
        INSERT_MESSAGE,
        [
            row_values(seq, p.summary, p.inline, p.text is not None, p.mailbox)
            for seq, p in numbered
        ],
    )
    connection.executemany(
        "INSERT INTO message_raw (seq, encoding, data) VALUES (?, ?, ?)",
        [(seq, p.encoding, p.data) for seq, p in numbered if len(p.data) < BLOB_WRITE_FROM],
    )
    for seq, p in numbered:
        if len(p.data) >= BLOB_WRITE_FROM:  # bound as a value, SQLite would copy it whole first
            connection.execute(
                "INSERT INTO message_raw (seq, encoding, data) VALUES (?, ?, zeroblob(?))",
                (seq, p.encoding, len(p.data)),
            )
            with connection.blobopen("message_raw", "data", seq) as blob:
                blob.write(p.data)
        if p.summary.tags:
            write_tags(connection, seq, p.summary.tags)
    texts = [text_values(seq, p.text) for seq, p in numbered if p.text is not None]
    if texts:
        connection.executemany(INSERT_TEXT, texts)


def _rollback(connection: sqlite3.Connection) -> None:
    if connection.in_transaction:
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            logger.exception("rollback failed")
