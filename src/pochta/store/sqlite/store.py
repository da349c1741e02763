"""The embedded store: one SQLite file in WAL mode, written by one thread.

:class:`SQLiteStore` keeps the :class:`~pochta.store.contract.Store` contract
with four named collaborators, each in its own module:

- the :class:`~pochta.store.sqlite.writer.Writer`: the one writing connection
  and its thread; inserts in groups (group commit), then prunes, announces
  and answers; runs every other change in order;
- the :class:`~pochta.store.sqlite.indexer.Indexer`: completes messages
  that :meth:`SQLiteStore.aadd` committed from their headers, then announces them;
- the :class:`~pochta.store.sqlite.reader.Reader`: every read, one
  connection per thread, each read in one snapshot;
- the :class:`~pochta.store.sqlite.announcer.Announcer`: delivers the
  events, knows which committed messages are still to be announced.

One message through :meth:`SQLiteStore.aadd`: ``Writer.insert`` queues it;
the writer thread has :func:`~pochta.store.sqlite.prepared.prepare` summarise
its header block and compress it, then commits its group, prunes, announces
the group's complete messages (none here) and settles; the settle wakes the indexer and answers
the caller. The indexer parses the row, runs its update on the writer with
``Writer.run``, and announces "new" there, after that commit.

Durability (WAL mode): with "full" every commit fsyncs the log before
:meth:`SQLiteStore.add` returns or :meth:`SQLiteStore.aadd` resolves, so an
acknowledged message survives a crash (``kill -9``) and a power loss; with
"normal" the commit is written, not synced, and the writer's syncer fsyncs
it within 0.05 s (a power loss may take the last 0.05 s; docs/store.md).
Messages still queued when the process dies were never acknowledged and are
lost, as SMTP expects. Group commit shares one commit among many messages.

Raw bytes are kept byte-exact; messages of 1 KiB or more are zlib-compressed
when that saves at least a tenth (:mod:`pochta.store.sqlite.blob`), flagged in
their row and inflated on read.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from datetime import UTC, timedelta, tzinfo
from pathlib import Path

from pochta.exceptions import ConfigurationError, MessageNotFound
from pochta.message.envelope import Envelope
from pochta.message.record import ParsedMessage, Part
from pochta.store.base import BaseStore
from pochta.store.identity import check_found, is_message_id, not_found
from pochta.store.limit import Limits
from pochta.store.mailbox import (
    DEFAULT_MAILBOX,
    MailboxCount,
    events_by_mailbox,
    list_mailboxes,
)
from pochta.store.parse_cache import ParseCache
from pochta.store.query import Query, parse_query
from pochta.store.record import MessagePage, SearchPage, StoreEvent, StoreInfo, Summary
from pochta.store.settle import Settle, loop_settler, settler
from pochta.store.sqlite import change, tagging
from pochta.store.sqlite.announcer import Announcer
from pochta.store.sqlite.connection import check_readable, connect_writer, store_error
from pochta.store.sqlite.follow import Follower
from pochta.store.sqlite.indexer import Indexer
from pochta.store.sqlite.ingest import IngestProcess
from pochta.store.sqlite.prepared import Prepared, Unprepared, prepare
from pochta.store.sqlite.reader import Reader
from pochta.store.sqlite.reindex import rebuild
from pochta.store.sqlite.writer import ReadOnly, StoreStats, Writer
from pochta.store.summary import parse_with_checksums

__all__ = ["DURABILITY", "PREPARE_INLINE_BELOW", "SQLiteStore"]

#: Store durability -> SQLite's ``synchronous`` in WAL mode.
DURABILITY = {"full": "FULL", "normal": "NORMAL"}
#: Smaller messages are summarised and compressed on the event loop's own thread
#: (about 0.1 ms; a thread hand-off costs more); larger ones on a worker thread.
PREPARE_INLINE_BELOW = 64 * 1024


class SQLiteStore(BaseStore):
    """A mailbox of captured messages in one SQLite file; open it with :func:`open_store`.

    Writes go through one writer thread; reads use one connection per thread
    and never wait behind a write. Every method may be called from any thread.
    """

    _announcer: Announcer

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        limits: Limits | None = None,
        durability: str = "full",
        follow: bool = False,
        read_only: bool = False,
        ingest_process: bool = False,
    ) -> None:
        """Open (creating or upgrading) the store file at ``path``; see :func:`open_store`.

        ``read_only`` opens an existing store without writing anything, not
        even where nothing can be written: no writer, no indexer.
        ``ingest_process`` commits :meth:`aadd`'s small messages in a child
        process (:mod:`pochta.store.sqlite.ingest`; ``pochta serve`` does).
        """
        if durability not in DURABILITY:
            raise ConfigurationError(
                f"durability {durability!r} is not one of {', '.join(DURABILITY)}; "
                "give full (survives a power loss) or normal (survives a crash of pochta)"
            )
        if follow and read_only:
            raise ConfigurationError("follow=True needs a store open for writing, not read_only")
        self.path = Path(path).expanduser()
        self.limits = limits = limits or Limits()
        self.durability = durability
        self._parses = ParseCache()
        self._announcer = Announcer()
        self._announcer.subscribe(self._parses.forget)
        self._writer: Writer | ReadOnly
        self._indexer: Indexer | None = None
        self._ingest: IngestProcess | None = None
        if read_only:
            check_readable(self.path)
            self._writer = ReadOnly(self.path)
        else:
            connection = connect_writer(self.path, DURABILITY[durability])
            self._writer = Writer(connection, self.path, announcer=self._announcer, limits=limits)
            self._indexer = Indexer(
                self.path,
                writer=self._writer,
                announcer=self._announcer,
                synchronous=DURABILITY[durability],
                keep=self._parses.keep,  # a large message's first open reads no bytes
            )
            if ingest_process:
                self._ingest = IngestProcess(
                    self.path,
                    synchronous=DURABILITY[durability],
                    limits=limits,
                    announcer=self._announcer,
                    stats=self._writer.stats,
                )
        self._reader = Reader(self.path, read_only=read_only)
        self._follower = Follower(self) if follow else None
        if self._follower is not None:
            self._follower.start()

    @property
    def ingest_process(self) -> IngestProcess | None:
        """The child process that commits :meth:`aadd`'s small messages, if opened with one."""
        return self._ingest

    @property
    def location(self) -> str:
        """The store's file, as given (user folder expanded)."""
        return str(self.path)

    def mailboxes(self) -> list[MailboxCount]:
        """Return every mailbox that holds or held messages, the default one first."""
        return list_mailboxes(self._reader.mailbox_counts())

    @property
    def max_messages(self) -> int:
        """How many messages the store keeps at most (0: no limit)."""
        return self.limits.max_messages

    @property
    def max_age(self) -> timedelta | None:
        """How long the store keeps a message (None: no limit)."""
        return self.limits.max_age

    @property
    def stats(self) -> StoreStats:
        """Counters of the writer: ``commits`` (transactions) and ``messages`` inserted."""
        return self._writer.stats

    # -- adding ----------------------------------------------------------------

    def add(self, raw: bytes, envelope: Envelope) -> str:
        """Parse ``raw`` fully, commit it, announce it ("new"), then return its id."""
        self._writer.refuse_on_thread("add()")
        future: Future[str] = Future()
        self._writer.insert(self._prepare(raw, envelope, complete=True), settler(future))
        return future.result()

    async def aadd(self, raw: bytes, envelope: Envelope) -> str:
        """Commit ``raw`` with its header summary; resolve with its id; index it afterwards.

        Only the header block is read before the commit, on the writer thread
        with the rest of the group (on a packing thread from PREPARE_INLINE_BELOW
        bytes on, for the compression); messages that arrive together share one
        commit. The indexer parses the message afterwards, then announces it
        ("new"). Until then a word search finds it by the words of its subject,
        addresses and plainly found text, which the search itself has the
        indexer write first (see docs/store.md, "Two-phase ingest").

        A store opened with ``ingest_process`` has a small message that comes
        while others wait for their commit (or in a flood) committed by its child
        process instead (:mod:`pochta.store.sqlite.ingest`): the same group
        commit, on another core.
        """
        self._writer.refuse_on_thread("aadd()")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        # Settled on the writer thread just after the commit: the indexer may start now.
        wake = None if self._indexer is None else self._indexer.wake
        settle = loop_settler(loop, future, committed=wake)
        item = Unprepared(raw, envelope, self._mailbox or DEFAULT_MAILBOX)
        ingest = self._ingest
        if ingest is None or len(raw) >= PREPARE_INLINE_BELOW:
            self._insert(item, settle)
            return await future
        # A message alone is answered sooner by the writer thread (no hop to another
        # process and back); the child pays when messages come together (docs/store.md),
        # and in a flood takes them all, so that the two never wait for each other's lock.
        ingest.arriving += 1
        try:
            alone = ingest.arriving == 1 and not ingest.flooding
            if alone or not ingest.insert(item, settle):
                self._writer.insert(item, settle)
            return await future
        finally:
            ingest.arriving -= 1

    def _insert(self, item: Unprepared, settle: Settle) -> None:
        if len(item.raw) < PREPARE_INLINE_BELOW:  # the writer summarises it, with its group
            self._writer.insert(item, settle)
        else:  # compressing it would hold up the loop or the writer: a packing thread does
            self._writer.insert_large(item, settle)

    def _prepare(self, raw: bytes, envelope: Envelope, *, complete: bool) -> Prepared:
        try:
            return prepare(
                raw, envelope, complete=complete, mailbox=self._mailbox or DEFAULT_MAILBOX
            )
        except Exception as exc:  # parse_message is total; this is MemoryError and kin
            raise store_error(exc, self.path, "summarise a message") from exc

    # -- reading ---------------------------------------------------------------

    def count(self) -> tuple[int, int]:
        """Return (total, unread); cheap at any size (a tally kept by triggers)."""
        return self._reader.count(self._mailbox)

    def list_messages(self, *, start: int = 0, limit: int = 50) -> MessagePage:
        """Return ``limit`` summaries from position ``start``, newest first, with totals."""
        return self._reader.page(max(start, 0), max(limit, 0), self._mailbox)

    def resolve_id(self, id_or_latest: str) -> str:
        """Return the id itself if stored, or the newest id for "latest"; else MessageNotFound."""
        if id_or_latest != "latest" and not is_message_id(id_or_latest):
            raise MessageNotFound(not_found(id_or_latest))
        return check_found(self._reader.find_id(id_or_latest, self._mailbox), id_or_latest)

    def summary(self, id: str) -> Summary:
        """Return the Summary of message ``id``; MessageNotFound if absent."""
        return check_found(self._reader.summary(id, self._mailbox), id)

    def raw(self, id: str) -> bytes:
        """Return message ``id`` exactly as it was received; MessageNotFound if absent."""
        return check_found(self._reader.raw(id, self._mailbox), id)

    def parsed(self, id: str) -> ParsedMessage:
        """Return the full parse of message ``id``, its files' checksums too (recent ones cached).

        The checksums are those the indexer stored; a message without them
        (not indexed yet, added with :meth:`add`, stored before schema 6) gets
        them computed here. Threads asking for one message at once share one parse.
        """
        check_found(self._reader.find_id(id, self._mailbox), id)  # in this mailbox?
        return self._parses.parsed(id, lambda: self._parse(id))

    def _parse(self, id: str) -> ParsedMessage:
        return parse_with_checksums(self.raw(id), self._reader.checksums(id))

    def part(self, id: str, part_id: str) -> tuple[Part, bytes]:
        """Return one leaf of message ``id`` and its decoded payload.

        Trees of small messages are cached (a page asks for each of its
        images); a large message's is not, as it would keep the bytes alive.
        """
        return self._parses.part(id, self.raw(id), part_id)

    def part_chunks(self, id: str, part_id: str) -> tuple[Part, Iterator[bytes]]:
        """Return one leaf of message ``id`` and its decoded payload in pieces of a MiB."""
        return self._parses.part_chunks(id, self.raw(id), part_id)

    def search(
        self, query: str | Query, *, start: int = 0, limit: int = 50, tz: tzinfo = UTC
    ) -> SearchPage:
        """Return one page of the messages matching ``query``, newest first.

        What each term matches: :mod:`pochta.store.sqlite.search`.
        """
        parsed = parse_query(query, tz=tz) if isinstance(query, str) else query
        self._words_first(parsed)
        return self._reader.search(parsed, max(start, 0), max(limit, 0), self._mailbox)

    def search_ids(self, query: str | Query, *, tz: tzinfo = UTC) -> list[str]:
        """Return the id of every message matching ``query``, newest first."""
        parsed = parse_query(query, tz=tz) if isinstance(query, str) else query
        self._words_first(parsed)
        return self._reader.search_ids(parsed, self._mailbox)

    def _words_first(self, query: Query) -> None:
        """Before a word search, give the messages not parsed yet their first words.

        So words of their subject, addresses and plain text find them at once
        (see :meth:`Indexer.first_words`); costs nothing when none came since.
        """
        if self._indexer is not None and any(t.field == "text" for t in query.terms):
            self._indexer.first_words()

    def tags(self) -> list[str]:
        """Return every tag in use, sorted without regard to case."""
        return list(self._reader.tag_counts(self._mailbox))

    def info(self) -> StoreInfo:
        """Return the path, size on disk, counts, tag counts and indexing backlog."""
        return self._reader.info(self._mailbox)

    # -- changing --------------------------------------------------------------

    def set_read(self, ids: Sequence[str] | None, read: bool) -> int:
        """Mark messages read or unread (None: all); return how many changed."""
        return len(self._update(lambda c: change.set_read(c, ids, read, self._mailbox)))

    def set_tags(self, ids: Sequence[str], tags: Sequence[str]) -> None:
        """Replace the tags of the messages ``ids`` (see :mod:`pochta.store.tag`)."""
        self._update(lambda c: tagging.set_tags(c, ids, tags, self._mailbox))

    def rename_tag(self, old: str, new: str) -> int:
        """Rename tag ``old`` to ``new`` (ignoring case) on every message; return how many."""
        return len(self._update(lambda c: tagging.rename_tag(c, old, new, self._mailbox)))

    def delete_tag(self, tag: str) -> int:
        """Remove ``tag`` (ignoring case) from every message; return how many had it."""
        return len(self._update(lambda c: tagging.delete_tag(c, tag, self._mailbox)))

    def delete(self, ids: Sequence[str] | None) -> int:
        """Delete messages with their raw bytes (None: all); return how many went."""
        if ids is None:
            count = self._writer.run(lambda c: change.delete_all(c, self._mailbox))
            self._announcer.announce([StoreEvent("truncate", (), mailbox=self._mailbox)])
            return count
        deleted = self._writer.run(lambda c: change.delete_ids(c, ids, self._mailbox))
        self._announcer.announce(events_by_mailbox("delete", deleted))
        return len(deleted)

    def prune(self) -> int:
        """Apply ``max_messages`` and ``max_age`` now; return how many were deleted."""
        pruned = self._writer.run(lambda c: change.prune(c, self.limits))
        self._announcer.announce(events_by_mailbox("prune", pruned))
        return len(pruned)

    def _update(self, work: Callable[[sqlite3.Connection], change.Touched]) -> change.Touched:
        """Run a change on the writer; announce "update" for the messages it returns."""
        changed = self._writer.run(work)
        self._announcer.announce(events_by_mailbox("update", changed))
        return changed

    # -- events and lifetime ---------------------------------------------------

    def subscribe(self, callback: Callable[[StoreEvent], None]) -> Callable[[], None]:
        """Call ``callback`` after every committed change; return an unsubscribe function.

        The callback runs on the thread that committed: the writer thread for
        "new" (after :meth:`add`'s commit, before the adder is answered; after
        indexing for :meth:`aadd`) and for the "prune" after inserts, the
        caller's thread otherwise; the "prune" after a group of the ingest
        process (``ingest_process``) runs on the event loop that reads its
        answers. It must return quickly and must not change the store itself.
        An exception it raises is logged and ignored.
        """
        return self._announcer.subscribe(callback, mailbox=self._mailbox)

    def announces(self, id: str) -> bool:
        """Return True if this store is committing ``id`` or will announce it ("new") soon.

        For :mod:`pochta.store.sqlite.follow`: such a row is this process's
        own, even though no "new" event has been delivered for it yet.
        """
        return self._announcer.announces(id)

    def reindex(self, *, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild every summary and the search index from the stored bytes; return how many.

        See :mod:`pochta.store.sqlite.reindex`. Messages not indexed yet are
        left to the indexer, which this waits for.
        """
        self._writer.refuse_on_thread("reindex()")
        self._writer.run(lambda connection: None, "reindex()")  # what was queued goes first
        assert self._indexer is not None  # refuse_on_thread() refused a read-only store
        count = rebuild(self.path, self._writer, progress=progress)
        self._parses.clear()
        self._indexer.wait(self._indexer.wake())
        return count

    def flush(self, *, index: bool = True) -> None:
        """Return once every change queued before this call is committed and announced.

        This includes the indexing (and "new" event) of messages added with
        :meth:`aadd` before the call, which can take seconds after a burst;
        ``index=False`` waits for the commits only.
        """
        if self._indexer is None:
            return  # read-only: nothing is ever queued
        self._writer.run(lambda connection: None, "flush()")
        if self._ingest is not None:
            self._ingest.sync()
        if index:
            self._indexer.wait(self._indexer.wake())

    def close(self) -> None:
        """Finish pending writes, then close every connection; later calls raise StoreError.

        Messages committed but not yet indexed are indexed at the next open.
        """
        if not self._owner:
            return  # a mailbox's view: the store it came from closes
        self._owner = False
        # From a subscriber (the writer thread) the others may be waiting on us.
        waiting = not self._writer.on_thread
        if self._follower is not None:
            self._follower.close(wait=waiting)
        if self._ingest is not None:
            self._ingest.close()
        if self._indexer is not None:
            self._indexer.close(wait=waiting)
        self._writer.close()
        self._reader.close()
