"""The team store: messages in a PostgreSQL database that several catchers share.

It keeps every promise of the :class:`~pochta.store.contract.Store`
contract as the SQLite store does. Durability: an id is returned only after
PostgreSQL's ``COMMIT`` returned, with the server's own ``synchronous_commit``
(on by default: the commit is flushed to its write-ahead log). Group commit
(:mod:`pochta.store.postgres.writer`) shares one commit among the messages
that arrive together. Raw bytes are kept byte-exact in a ``bytea`` column
(PostgreSQL compresses large ones itself).

Several catchers on one database behave as one: each change is notified
(``NOTIFY``) in its own transaction, and a store opened with ``follow=True``
listens (:mod:`pochta.store.postgres.listener`) and announces the other
catchers' changes to its subscribers as its own. When PostgreSQL cannot be
reached, every call fails with StoreUnavailableError (SMTP answers ``451``)
until it is back; nothing needs restarting.

:meth:`PostgresStore.mailbox` gives a view of one mailbox (the same object
kind, limited to it); see :mod:`pochta.store.mailbox`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from datetime import UTC, tzinfo
from typing import Any

from pochta.exceptions import ConfigurationError, MessageNotFound, StoreError
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
from pochta.store.postgres import change, reader
from pochta.store.postgres.announcer import Announcer
from pochta.store.postgres.connection import store_error
from pochta.store.postgres.database import POOL_SIZE, Database, sizes
from pochta.store.postgres.follow import Follower
from pochta.store.postgres.indexer import Indexer
from pochta.store.postgres.reindex import rebuild
from pochta.store.postgres.writer import Prepared, Writer, WriterStats, prepare
from pochta.store.query import Query, parse_query
from pochta.store.record import MessagePage, SearchPage, StoreEvent, StoreInfo, Summary
from pochta.store.settle import loop_settler, settler
from pochta.store.summary import parse_with_checksums

__all__ = ["POOL_SIZE", "PostgresStore"]

#: Smaller messages are summarised on the event loop's thread, as in the SQLite store.
PREPARE_INLINE_BELOW = 64 * 1024
#: flush() gives up once no message of the backlog was indexed for this long.
_FLUSH_WAIT = 60.0


class PostgresStore(BaseStore):
    """Captured messages in PostgreSQL; open it with :func:`pochta.store.open_store`::

    with open_store("postgresql://pochta@db.internal/pochta") as store:
        message_id = store.add(raw, Envelope("a@example.com", ("b@example.com",)))
    """

    _announcer: Announcer

    def __init__(
        self,
        url: str,
        *,
        limits: Limits | None = None,
        durability: str = "full",
        follow: bool = False,
        read_only: bool = False,
    ) -> None:
        """Connect, bring the schema up to date, and start the writer and indexer threads.

        ``durability`` "full" commits as PostgreSQL is configured to (by
        default flushed to its write-ahead log); "normal" sets
        ``synchronous_commit = off`` for the inserts: a crash of pochta loses
        nothing acknowledged, a crash of the PostgreSQL server may lose the
        last fraction of a second. ``read_only`` changes nothing: the schema
        must be there, at this pochta's version, and every change raises
        StoreError.
        """
        if durability not in ("full", "normal"):
            raise ConfigurationError(
                f"durability {durability!r} is not one of full, normal; give full (survives "
                "a crash of PostgreSQL) or normal (survives a crash of pochta)"
            )
        self.limits = limits = limits or Limits()
        self._db = db = Database(url, read_only=read_only)
        self.schema, self.engine = db.schema, db.engine
        self._origin = db.origin
        self._parses = ParseCache()
        self._announcer = Announcer()
        self._announcer.subscribe(self._parses.forget)
        self._writer = Writer(
            db.pool,
            url,
            db.origin,
            limits,
            self._announcer,
            lambda: self._indexer.wake(),
            synchronous=durability == "full",
        )
        self._indexer = Indexer(
            db.pool,
            url,
            db.origin,
            self._announcer,
            lambda: self._writer.stats.messages,
            enabled=not read_only,
        )
        self._follower = Follower(db.pool, url, db.origin, self._announcer) if follow else None

    @property
    def location(self) -> str:
        """The database's URL without its password."""
        return self._db.location

    @property
    def stats(self) -> WriterStats:
        """Counters of the writer: ``commits`` (transactions) and ``messages`` inserted."""
        return self._writer.stats

    def mailboxes(self) -> list[MailboxCount]:
        """Return every mailbox that holds or held messages, the default one first."""
        with self._db.lend("count the mailboxes") as connection:
            return list_mailboxes(reader.mailbox_counts(connection))

    # -- adding ----------------------------------------------------------------

    def add(self, raw: bytes, envelope: Envelope) -> str:
        """Parse ``raw`` fully, commit it, announce it ("new"), then return its id."""
        self._writer.refuse_on_thread("add()")
        self._db.check_writable("add a message")
        future: Future[str] = Future()
        self._writer.submit(self._prepare(raw, envelope, settler(future), complete=True))
        return future.result()

    async def aadd(self, raw: bytes, envelope: Envelope) -> str:
        """Commit ``raw`` with its header summary; resolve with its id; index it afterwards."""
        self._db.check_writable("add a message")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        settle = loop_settler(loop, future)
        if len(raw) < PREPARE_INLINE_BELOW:
            prepared = self._prepare(raw, envelope, settle, complete=False)
        else:
            prepared = await asyncio.to_thread(
                self._prepare, raw, envelope, settle, complete=False
            )
        self._writer.submit(prepared)
        return await future

    def _prepare(self, raw: bytes, envelope: Envelope, settle: Any, *, complete: bool) -> Prepared:
        mailbox = self._mailbox or DEFAULT_MAILBOX
        try:
            return prepare(raw, envelope, mailbox, settle, complete)
        except Exception as exc:  # parse_message is total; this is MemoryError and kin
            raise store_error(exc, self._db.url, "summarise a message") from exc

    # -- reading ---------------------------------------------------------------

    def count(self) -> tuple[int, int]:
        """Return (total, unread); cheap at any size (a tally kept by triggers)."""
        with self._db.lend("count the messages") as connection:
            return reader.count(connection, self._mailbox)

    def list_messages(self, *, start: int = 0, limit: int = 50) -> MessagePage:
        """Return ``limit`` summaries from position ``start``, newest first, with totals."""
        with self._db.lend("list the messages") as connection:
            total, unread = reader.count(connection, self._mailbox)
            seqs = reader.read_page(connection, self._mailbox, max(start, 0), max(limit, 0))
            messages = reader.read_summaries(connection, seqs)
        return MessagePage(total=total, unread=unread, start=max(start, 0), messages=messages)

    def resolve_id(self, id_or_latest: str) -> str:
        """Return the id itself if stored, or the newest id for "latest"; else MessageNotFound."""
        if id_or_latest == "latest":
            with self._db.lend("find the newest message") as connection:
                found = reader.newest_id(connection, self._mailbox)
        elif is_message_id(id_or_latest):
            found = self.summary(id_or_latest).id
        else:
            raise MessageNotFound(not_found(id_or_latest))
        return check_found(found, id_or_latest)

    def summary(self, id: str) -> Summary:
        """Return the Summary of message ``id``; MessageNotFound if absent."""
        found = None
        if is_message_id(id):
            with self._db.lend("read a message") as connection:
                found = reader.read_summary(connection, id, self._mailbox)
        return check_found(found, id)

    def raw(self, id: str) -> bytes:
        """Return message ``id`` exactly as it was received; MessageNotFound if absent."""
        found = None
        if is_message_id(id):
            with self._db.lend("read a message") as connection:
                found = reader.read_raw(connection, id, self._mailbox)
        return check_found(found, id)

    def parsed(self, id: str) -> ParsedMessage:
        """Return the full parse of message ``id``, its files' checksums too (recent ones cached).

        The checksums are those the indexer stored (schema 2); a message
        without them gets them computed here. Threads asking for one message
        at once share one parse.
        """
        self.summary(id)  # MessageNotFound unless it is in this mailbox
        return self._parses.parsed(id, lambda: self._parse(id))

    def _parse(self, id: str) -> ParsedMessage:
        with self._db.lend("read a message") as connection:
            stored = reader.read_checksums(connection, id)
        return parse_with_checksums(self.raw(id), stored)

    def part(self, id: str, part_id: str) -> tuple[Part, bytes]:
        """Return one leaf of message ``id`` and its decoded payload.

        Trees of small messages are cached; a large message's is not (it
        would keep the bytes alive).
        """
        return self._parses.part(id, self.raw(id), part_id)

    def part_chunks(self, id: str, part_id: str) -> tuple[Part, Iterator[bytes]]:
        """Return one leaf of message ``id`` and its decoded payload in pieces of a MiB."""
        return self._parses.part_chunks(id, self.raw(id), part_id)

    def search(
        self, query: str | Query, *, start: int = 0, limit: int = 50, tz: tzinfo = UTC
    ) -> SearchPage:
        """Return one page of the messages matching ``query``, newest first.

        What each term matches: :mod:`pochta.store.postgres.search`.
        """
        parsed = parse_query(query, tz=tz) if isinstance(query, str) else query
        with self._db.lend("search the messages") as connection:
            return reader.search_page(
                connection, parsed, self._mailbox, max(start, 0), max(limit, 0)
            )

    def search_ids(self, query: str | Query, *, tz: tzinfo = UTC) -> list[str]:
        """Return the id of every message matching ``query``, newest first."""
        parsed = parse_query(query, tz=tz) if isinstance(query, str) else query
        with self._db.lend("search the messages") as connection:
            return reader.search_ids(connection, parsed, self._mailbox)

    def tags(self) -> list[str]:
        """Return every tag in use, sorted without regard to case."""
        with self._db.lend("read the tags") as connection:
            return list(reader.tag_counts(connection, self._mailbox))

    def info(self) -> StoreInfo:
        """Return the location, database size, counts, tag counts and indexing backlog."""
        with self._db.lend("read the store's facts") as connection:
            total, unread = reader.count(connection, self._mailbox)
            tags = reader.tag_counts(connection, self._mailbox)
            size, unindexed = sizes(connection)
        return StoreInfo(
            location=self.location,
            size_bytes=size,
            total=total,
            unread=unread,
            tags=tags,
            unindexed=unindexed,
            schema=self.schema,
            engine=f"PostgreSQL {self.engine}",
        )

    # -- changing --------------------------------------------------------------

    def set_read(self, ids: Sequence[str] | None, read: bool) -> int:
        """Mark messages read or unread (None: all); return how many changed."""
        return self._update(
            "mark messages read",
            lambda c: change.set_read(c, self._origin, self._mailbox, ids, read),
        )

    def set_tags(self, ids: Sequence[str], tags: Sequence[str]) -> None:
        """Replace the tags of the messages ``ids`` (see :mod:`pochta.store.tag`)."""
        self._update(
            "tag messages", lambda c: change.set_tags(c, self._origin, self._mailbox, ids, tags)
        )

    def rename_tag(self, old: str, new: str) -> int:
        """Rename tag ``old`` to ``new`` (ignoring case) on every message; return how many."""
        return self._update(
            "rename a tag", lambda c: change.rename_tag(c, self._origin, self._mailbox, old, new)
        )

    def delete_tag(self, tag: str) -> int:
        """Remove ``tag`` (ignoring case) from every message; return how many had it."""
        return self._update(
            "delete a tag", lambda c: change.rename_tag(c, self._origin, self._mailbox, tag, None)
        )

    def delete(self, ids: Sequence[str] | None) -> int:
        """Delete messages with their raw bytes (None: all); return how many went."""
        self._db.check_writable("delete messages")
        if ids is None:
            with self._db.lend("delete every message") as connection:
                count = change.delete_all(connection, self._origin, self._mailbox)
            self._announcer.announce([StoreEvent("truncate", (), mailbox=self._mailbox)])
            return count
        with self._db.lend("delete messages") as connection:
            deleted = change.delete_ids(connection, self._origin, self._mailbox, ids)
        self._announcer.announce(events_by_mailbox("delete", deleted))
        return len(deleted)

    def prune(self) -> int:
        """Apply ``max_messages`` and ``max_age`` now (to every mailbox); return how many went."""
        self._db.check_writable("prune")
        if not self.limits.active:
            return 0
        with self._db.lend("prune the store") as connection, connection.transaction():
            pruned = change.prune(connection, self.limits)
            if pruned:
                change.notify_touched(connection, self._origin, "prune", pruned)
        self._announcer.announce(events_by_mailbox("prune", pruned))
        return len(pruned)

    def reindex(self, *, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild every summary and the words from the stored bytes; return how many.

        See :mod:`pochta.store.postgres.reindex`; messages not indexed yet
        are left to the indexers, which this waits for (:meth:`flush`).
        """
        self._writer.refuse_on_thread("reindex()")
        self._db.check_writable("reindex")
        self.flush(index=False)
        try:
            count = rebuild(self._db.pool, progress)
        except Exception as error:
            raise store_error(error, self._db.url, "rebuild the index") from None
        self._parses.clear()
        self.flush()
        return count

    def _update(self, doing: str, work: Callable[[Any], list[tuple[str, str]]]) -> int:
        self._db.check_writable(doing)
        with self._db.lend(doing) as connection:
            changed = work(connection)
        self._announcer.announce(events_by_mailbox("update", changed))
        return len(changed)

    # -- events and lifetime ---------------------------------------------------

    def subscribe(self, callback: Callable[[StoreEvent], None]) -> Callable[[], None]:
        """Call ``callback`` after every committed change (of this view's mailbox, if any).

        With ``follow=True`` that includes the changes other catchers commit.
        The callback runs on the thread that committed (or the listener's); it
        must return quickly and must not change the store.
        """
        return self._announcer.subscribe(callback, mailbox=self._mailbox)

    def flush(self, *, index: bool = True) -> None:
        """Return once every change queued before the call is committed and announced."""
        if self._db.read_only:
            return
        done: Future[None] = Future()
        self._writer.submit(lambda: done.set_result(None))
        done.result()
        if index:
            self._indexer.wake()
            if not self._announcer.wait(self._announcer.pending(), _FLUSH_WAIT):
                raise StoreError(
                    f"messages of {self.location} are not being indexed: none was in a minute"
                )

    def close(self) -> None:
        """Finish pending writes, then close every connection; later calls raise StoreError.

        A view of a mailbox closes nothing: the store it came from does.
        Messages committed but not yet indexed are indexed by the next catcher.
        """
        if not self._owner:
            return
        self._owner = False
        if self._follower is not None:
            self._follower.close()
        self._indexer.close()
        self._writer.close()
        self._db.close()
