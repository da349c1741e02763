"""What every store does for its callers: the :class:`Store` protocol.

The server, the CLI, the email backend, imports and the test toolkit use a
store only through these methods, so any implementation can stand behind
them: :class:`~pochta.store.sqlite.store.SQLiteStore` (one file, the
default) today, a PostgreSQL store (several processes on one database)
later. :func:`~pochta.store.location.open_store` picks one by location.

Promises every implementation keeps (``tests/store/`` checks them against
each one through one fixture):

- ``add``/``aadd`` return an id only once the message is durably committed;
  the bytes come back byte-exact from ``raw``.
- Ids are those of :mod:`pochta.store.identity`; a text that cannot be an id
  names no message (MessageNotFound, never a query).
- Lists and searches are newest first (arrival order in this store).
- Every committed change is announced to subscribers as a
  :class:`~pochta.store.record.StoreEvent`, after the commit: "new" once the
  message is found by every search term, with its complete summary.
- Every method may be called from any thread; only ``aadd`` from an event
  loop. A subscriber must not change the store (StoreError): it runs where
  the store committed.
- Errors are :mod:`pochta.exceptions`' ``StoreError`` family; a failed
  write leaves nothing half-written.
- Every message is in one mailbox; the store object :func:`open_store`
  returns spans them all (its adds go to the default mailbox), and
  ``mailbox(name)`` is the same store limited to one. Events name the
  mailbox of their messages (None: every mailbox).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, tzinfo
from types import TracebackType
from typing import Protocol, Self

from pochta.message.envelope import Envelope
from pochta.message.record import ParsedMessage, Part
from pochta.store.mailbox import MailboxCount
from pochta.store.query import Query
from pochta.store.record import MessagePage, SearchPage, StoreEvent, StoreInfo, Summary

__all__ = ["Store"]


class Store(Protocol):
    """A mailbox of captured messages; open one with :func:`pochta.store.open_store`::

    with open_store("mail.db") as store:
        message_id = store.add(raw, Envelope("a@example.com", ("b@example.com",)))
        print(store.summary(message_id).subject)
    """

    @property
    def location(self) -> str:
        """Where the store lives, for people: a file path, or a URL without its password."""
        ...

    @property
    def mailbox_name(self) -> str | None:
        """The mailbox this store object is limited to (see :meth:`mailbox`); None: all."""
        ...

    def mailbox(self, name: str) -> Store:
        """Return this store limited to mailbox ``name`` (:mod:`pochta.store.mailbox`).

        The view reads, searches, changes, counts and announces only that
        mailbox's messages, and adds new ones there; closing it closes
        nothing. ConfigurationError for a name that cannot be a mailbox's.
        """
        ...

    def mailboxes(self) -> list[MailboxCount]:
        """Return every mailbox that holds or held messages, the default one first."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    # -- adding ----------------------------------------------------------------

    def add(self, raw: bytes, envelope: Envelope) -> str:
        """Store ``raw`` and return its new id once it is durably committed.

        Its "new" event has been delivered and every search finds it by then.
        """
        ...

    async def aadd(self, raw: bytes, envelope: Envelope) -> str:
        """Store ``raw`` from an event loop; resolve with its id once it is durably committed.

        The store may finish indexing afterwards: until its "new" event,
        word searches may not find it, while ``summary``, lists and header
        terms already do.
        """
        ...

    # -- reading ---------------------------------------------------------------

    def count(self) -> tuple[int, int]:
        """Return (total, unread), cheaply at any size."""
        ...

    def list_messages(self, *, start: int = 0, limit: int = 50) -> MessagePage:
        """Return ``limit`` summaries from position ``start``, newest first, with totals."""
        ...

    def resolve_id(self, id_or_latest: str) -> str:
        """Return the id if stored, the newest id for "latest"; else MessageNotFound."""
        ...

    def summary(self, id: str) -> Summary:
        """Return the Summary of message ``id``; MessageNotFound if absent."""
        ...

    def raw(self, id: str) -> bytes:
        """Return message ``id`` exactly as it was received; MessageNotFound if absent."""
        ...

    def parsed(self, id: str) -> ParsedMessage:
        """Return the full parse of message ``id``; MessageNotFound if absent.

        Its attachments and inline parts carry their checksums (``Part.checksums``).
        """
        ...

    def part(self, id: str, part_id: str) -> tuple[Part, bytes]:
        """Return one leaf of message ``id`` and its decoded payload; MessageNotFound if absent."""
        ...

    def part_chunks(self, id: str, part_id: str) -> tuple[Part, Iterator[bytes]]:
        """Return one leaf of message ``id`` and its decoded payload in pieces (downloads).

        A large part comes a MiB at a time, never held whole; MessageNotFound if absent.
        """
        ...

    def search(
        self, query: str | Query, *, start: int = 0, limit: int = 50, tz: tzinfo = UTC
    ) -> SearchPage:
        """Return one page of the messages matching ``query`` (Mailpit's language), newest first.

        ``tz`` is the zone of dates without one. QueryError for text that
        is not a query.
        """
        ...

    def search_ids(self, query: str | Query, *, tz: tzinfo = UTC) -> list[str]:
        """Return the id of every message matching ``query``, newest first."""
        ...

    def tags(self) -> list[str]:
        """Return every tag in use, sorted without regard to case."""
        ...

    def info(self) -> StoreInfo:
        """Return the facts of ``/api/v1/info``: location, size, counts, tags, backlog."""
        ...

    # -- changing --------------------------------------------------------------

    def set_read(self, ids: Sequence[str] | None, read: bool) -> int:
        """Mark messages read or unread (None: all); return how many changed ("update")."""
        ...

    def set_tags(self, ids: Sequence[str], tags: Sequence[str]) -> None:
        """Replace the tags of the messages ``ids`` ("update"; see :mod:`pochta.store.tag`)."""
        ...

    def rename_tag(self, old: str, new: str) -> int:
        """Rename tag ``old`` (ignoring case) on every message; return how many ("update")."""
        ...

    def delete_tag(self, tag: str) -> int:
        """Remove ``tag`` (ignoring case) from every message; return how many had it."""
        ...

    def delete(self, ids: Sequence[str] | None) -> int:
        """Delete messages with their bytes (None: all, "truncate"); return how many went."""
        ...

    def prune(self) -> int:
        """Apply the store's ``max_messages`` and ``max_age`` now; return how many went."""
        ...

    def reindex(self, *, progress: Callable[[int, int], None] | None = None) -> int:
        """Rebuild every summary and the search index from the stored bytes; return how many.

        For a store whose index was damaged, or whose summaries an older
        pochta made (``pochta reindex``). Ids, arrival times, read flags, tags,
        envelopes and the bytes stay. ``progress(done, total)`` is called as
        it goes. Nothing is announced: no message changed, only what is
        derived from it. Messages added meanwhile are indexed as usual.
        """
        ...

    # -- events and lifetime ---------------------------------------------------

    def subscribe(self, callback: Callable[[StoreEvent], None]) -> Callable[[], None]:
        """Call ``callback`` after every committed change; return an unsubscribe function.

        It runs on the thread that committed, must return quickly and must
        not change the store; an exception it raises is logged and ignored.
        Changes of other processes are announced only by a store opened with
        ``follow=True``.
        """
        ...

    def publish(self, events: Sequence[StoreEvent]) -> None:
        """Deliver ``events`` to the subscribers: changes made outside this store object."""
        ...

    def flush(self, *, index: bool = True) -> None:
        """Return once every change queued before the call is committed and announced.

        ``index=False`` waits for the commits only, not for the indexing and
        "new" events of messages added with ``aadd``.
        """
        ...

    def close(self) -> None:
        """Finish pending writes and release the store; later calls raise StoreError."""
        ...
