"""The embedded store: one SQLite file in WAL mode, written by one thread.

Durability: the file runs in WAL mode with ``synchronous=FULL``, so every
commit fsyncs the write-ahead log before :meth:`Store.add` returns or
:meth:`Store.aadd` resolves. A message whose id was returned survives a crash
of the process (``kill -9``) *and* a power loss or OS crash, on a disk that
honours fsync. Messages still queued when the process dies were never
acknowledged and are lost, as SMTP expects (the client retries). Group commit
(see :mod:`pochta.store.sqlite.writer`) makes FULL affordable: one fsync per group,
not per message.

Raw bytes are kept byte-exact; messages of 8 KiB or more are zlib-compressed
when that saves at least a tenth, flagged in their row and inflated on read.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any, TypeVar

from pochta.exceptions import ConfigurationError, StoreError
from pochta.message.envelope import Envelope
from pochta.message.record import ParsedMessage
from pochta.store.recent import Recent
from pochta.store.record import StoreEvent, Summary
from pochta.store.sqlite import change as changes
from pochta.store.sqlite.connection import connect_reader, connect_writer
from pochta.store.sqlite.finding import Finding
from pochta.store.sqlite.indexer import Indexer
from pochta.store.sqlite.reader import (
    Readers,
    read_summary,
)
from pochta.store.sqlite.row import indexed_values
from pochta.store.sqlite.writer import StoreStats, Writer
from pochta.store.subscriber import Subscribers

__all__ = ["DURABILITY", "Store", "open_store"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
#: Store durability -> SQLite's ``synchronous`` in WAL mode.
DURABILITY = {"full": "FULL", "normal": "NORMAL"}
_PARSED_CACHE = 32
#: Smaller messages are summarised and compressed on the event loop's own thread
#: (about 0.1 ms; a thread hand-off costs more); larger ones on a worker thread.
PREPARE_INLINE_BELOW = 64 * 1024
_TREE_CACHE = 4


def open_store(
    path: str | os.PathLike[str],
    *,
    max_messages: int = 0,
    max_age: timedelta | None = None,
    durability: str = "full",
) -> Store:
    """Open the store at ``path``, creating the file and its folder if missing.

    ``max_messages`` keeps only the newest N messages (0: no limit) and
    ``max_age`` deletes older messages; both apply after each insert and on
    :meth:`Store.prune`. ``durability`` is "full" (every commit survives a
    power loss: ``synchronous=FULL``) or "normal" (commits survive a crash of
    the process, the last ones may not survive a power loss; see docs/store.md).
    Raises StoreFormatError for a file that is not a pochta store (or comes
    from a newer pochta), StoreError when the location cannot be created or
    written::

        store = open_store("~/.pochta/mail.db", max_messages=500)
        message_id = store.add(raw_bytes, Envelope("a@example.com", ("b@example.com",)))
        store.close()
    """
    return Store(
        Path(path).expanduser(),
        max_messages=max_messages,
        max_age=max_age,
        durability=durability,
    )


class Store(Finding):
    """A mailbox of captured messages in one SQLite file; use :func:`open_store`.

    Writes go through one writer thread; reads use one connection per thread
    and never wait behind a write. Every method may be called from any thread.
    """

    def __init__(
        self,
        path: Path,
        *,
        max_messages: int = 0,
        max_age: timedelta | None = None,
        durability: str = "full",
    ) -> None:
        """Open (creating or upgrading) the store file at ``path``."""
        if durability not in DURABILITY:
            raise ConfigurationError(
                f"durability {durability!r} is not one of {', '.join(DURABILITY)}; "
                "give full (survives a power loss) or normal (survives a crash of pochta)"
            )
        if max_messages < 0:
            raise ConfigurationError(
                f"max_messages {max_messages} is negative; give 0 (no limit) or more"
            )
        if max_age is not None and max_age <= timedelta(0):
            raise ConfigurationError(
                f"max_age {max_age} would delete every message; give a positive age or None"
            )
        self.path = path
        self.max_messages = max_messages
        self.max_age = max_age
        self.durability = durability
        connection = connect_writer(path, DURABILITY[durability])
        self._subscribers = Subscribers()
        self._readers = Readers(path)
        self._parsed: Recent[str, ParsedMessage] = Recent(_PARSED_CACHE)
        # Message trees for part(): a page asks for every attachment of one message.
        self._trees: Recent[str, Message | None] = Recent(_TREE_CACHE)
        # Ids this store committed and will announce once indexed.
        self._unannounced: set[str] = set()
        self._unannounced_lock = threading.Lock()
        self._writer = Writer(
            connection,
            path,
            self._after_insert,
            self._announce_inserted,
            self._expect,
            lambda: self._indexer.wake(),
        )
        self._indexer = Indexer(
            path,
            lambda: connect_reader(path),
            self._apply_index,
            lambda: self._writer.stats.messages,
        )

    @property
    def stats(self) -> StoreStats:
        """Counters of the writer: ``commits`` (transactions) and ``messages`` inserted."""
        return self._writer.stats

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------

    def add(self, raw: bytes, envelope: Envelope) -> str:
        """Store ``raw`` and return its new id once the commit is on disk.

        The message is parsed fully before the commit, so it is indexed and
        its "new" event delivered by the time this returns.
        """
        future: Future[str] = Future()
        self._refuse_on_writer("add()")
        self._writer.insert(raw, envelope, _settler(future), complete=True)
        return future.result()

    async def aadd(self, raw: bytes, envelope: Envelope) -> str:
        """Store ``raw`` from the event loop; resolve with its id after the commit.

        Only the header block is read before the commit, on this thread (on a
        worker thread from PREPARE_INLINE_BELOW bytes on, for the compression);
        messages that arrive together share one commit. The indexer thread
        parses the message afterwards, then announces it ("new"); until then
        summaries read for it are completed from the raw bytes on the fly and
        word searches do not find it (see docs/store.md, "Two-phase ingest").
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def settle(value: Any, error: BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(_resolve, future, value, error)
            except RuntimeError:  # the loop closed while the message was being stored
                logger.debug("event loop closed before message %s was acknowledged", value)

        if len(raw) < PREPARE_INLINE_BELOW:
            self._writer.insert(raw, envelope, settle, complete=False)
        else:  # compressing it would hold up the event loop: a worker thread does
            await asyncio.to_thread(self._writer.insert, raw, envelope, settle, complete=False)
        return await future

    def set_read(self, ids: Sequence[str] | None, read: bool) -> int:
        """Mark messages read or unread (None: all); return how many changed."""
        changed = self._change(lambda c: changes.set_read(c, ids, read))
        if changed:
            self._emit(StoreEvent("update", tuple(changed)))
        return len(changed)

    def delete(self, ids: Sequence[str] | None) -> int:
        """Delete messages with their raw bytes (None: all); return how many went."""
        if ids is None:
            count = self._change(changes.delete_all)
            self._parsed.clear()
            self._trees.clear()
            with self._unannounced_lock:
                self._unannounced.clear()
            self._emit(StoreEvent("truncate", ()))
            return count
        deleted = self._change(lambda c: changes.delete_ids(c, ids))
        self._forget(deleted)
        if deleted:
            self._emit(StoreEvent("delete", tuple(deleted)))
        return len(deleted)

    def prune(self) -> int:
        """Apply ``max_messages`` and ``max_age`` now; return how many were deleted."""
        return len(self._change(self._prune))

    def _prune(self, connection: sqlite3.Connection) -> list[str]:
        pruned = self._prune_quietly(connection)
        if pruned:
            self._emit(StoreEvent("prune", tuple(pruned)))
        return pruned

    def _prune_quietly(self, connection: sqlite3.Connection) -> list[str]:
        pruned: list[str] = []
        if self.max_age is not None:
            pruned.extend(changes.prune_by_age(connection, self.max_age))
        if self.max_messages > 0:
            pruned.extend(changes.prune_by_count(connection, self.max_messages))
        self._forget(pruned)
        return pruned

    def _after_insert(
        self, connection: sqlite3.Connection, summaries: list[Summary]
    ) -> list[StoreEvent]:
        events = [StoreEvent("new", (s.id,), s) for s in summaries]
        if self.max_messages > 0 or self.max_age is not None:
            try:
                pruned = self._prune_quietly(connection)
            except sqlite3.Error:
                logger.exception("pruning %s failed; it will be retried", self.path)
            else:
                if pruned:
                    events.append(StoreEvent("prune", tuple(pruned)))
        return events

    def _expect(self, ids: list[str]) -> None:
        """Note ids about to be committed (writer thread, before the commit): see announces()."""
        with self._unannounced_lock:
            self._unannounced.update(ids)

    def _announce_inserted(self, events: list[StoreEvent]) -> None:
        """Deliver the events of a committed group; its complete messages are announced then."""
        self._subscribers.emit(events)
        with self._unannounced_lock:
            self._unannounced.difference_update(e.ids[0] for e in events if e.kind == "new")

    def _apply_index(
        self, batch: list[tuple[Summary, int, tuple[str, str, str, str]]]
    ) -> list[StoreEvent]:
        """Write the indexer's batch on the writer thread, then announce each message."""

        def work(connection: sqlite3.Connection) -> list[StoreEvent]:
            values = [(indexed_values(s, inline), text) for s, inline, text in batch]
            done = changes.apply_index(connection, values, DURABILITY[self.durability])
            events = []
            for id in done:
                summary = read_summary(connection, id)
                if summary is not None:
                    events.append(StoreEvent("new", (id,), summary))
            self._subscribers.emit(events)
            # After the events: announces() stays true until the "new" event is out.
            with self._unannounced_lock:
                self._unannounced.difference_update(s.id for s, _, _ in batch)
            return events

        future: Future[list[StoreEvent]] = Future()
        self._writer.call(work, _settler(future))
        return future.result()

    def announces(self, id: str) -> bool:
        """Return True if this store is committing ``id`` or will announce it ("new") soon.

        True from just before the commit until the "new" event has been
        delivered (for :meth:`aadd`, after indexing). For
        :mod:`pochta.store.sqlite.follow`: such a row is this process's own, even
        though no "new" event has been delivered for it yet.
        """
        with self._unannounced_lock:
            return id in self._unannounced

    def _change(self, work: Callable[[sqlite3.Connection], T]) -> T:
        self._refuse_on_writer("changing the store")
        future: Future[T] = Future()
        self._writer.call(work, _settler(future))
        return future.result()

    def _refuse_on_writer(self, what: str) -> None:
        if self._writer.on_thread:
            raise StoreError(
                f"{what} was called from a store subscriber; subscribers run on the "
                "writer thread, so hand the work to another thread or the event loop"
            )

    # -- events ----------------------------------------------------------------

    def subscribe(self, callback: Callable[[StoreEvent], None]) -> Callable[[], None]:
        """Call ``callback`` after every committed change; return an unsubscribe function.

        The callback runs on the thread that committed: the writer thread for
        "new" and "prune" after inserts (before the adder is answered), the
        caller's thread otherwise. It must return quickly and must not change
        the store itself. An exception it raises is logged and ignored.
        """
        return self._subscribers.add(callback)

    def publish(self, events: Sequence[StoreEvent]) -> None:
        """Deliver ``events`` to the subscribers: changes another process made to the file.

        The store announces its own changes itself; :mod:`pochta.store.sqlite.follow`
        calls this for rows written by another process (``pochta import``, the
        ``store`` email backend).
        """
        self._subscribers.emit(list(events))

    def flush(self, *, index: bool = True) -> None:
        """Return once every change queued before this call is committed and announced.

        This includes the indexing (and "new" event) of messages added with
        :meth:`aadd` before the call, which can take seconds after a burst;
        ``index=False`` waits for the commits only.
        """
        self._change(lambda connection: None)
        if index:
            self._indexer.wait(self._indexer.wake())

    def _emit(self, event: StoreEvent) -> None:
        self._subscribers.emit([event])

    def _forget(self, ids: Sequence[str]) -> None:
        self._parsed.forget(ids)
        self._trees.forget(ids)
        with self._unannounced_lock:
            self._unannounced.difference_update(ids)

    def close(self) -> None:
        """Finish pending writes, then close every connection; later calls raise StoreError.

        Messages committed but not yet indexed are indexed at the next open.
        """
        # From a subscriber (the writer thread) the indexer may be waiting on us.
        self._indexer.close(wait=not self._writer.on_thread)
        self._writer.close()
        self._readers.close()


def _settler(future: Future[T]) -> Callable[[Any, BaseException | None], None]:
    def settle(value: Any, error: BaseException | None) -> None:
        if future.set_running_or_notify_cancel():
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)

    return settle


def _resolve(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(value)
    else:
        future.set_exception(error)
