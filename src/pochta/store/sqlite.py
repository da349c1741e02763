"""The embedded store: one SQLite file in WAL mode, written by one thread.

Durability: the file runs in WAL mode with ``synchronous=FULL``, so every
commit fsyncs the write-ahead log before :meth:`Store.add` returns or
:meth:`Store.aadd` resolves. A message whose id was returned survives a crash
of the process (``kill -9``) *and* a power loss or OS crash, on a disk that
honours fsync. Messages still queued when the process dies were never
acknowledged and are lost, as SMTP expects (the client retries). Group commit
(see :mod:`pochta.store.writer`) makes FULL affordable: one fsync per group,
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
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from pochta.exceptions import MessageNotFound, StoreError, StoreFormatError
from pochta.store import changes
from pochta.store.envelope import Envelope
from pochta.store.migration import migrate
from pochta.store.parse import parse_message, read_part
from pochta.store.records import MessagePage, ParsedMessage, Part, StoreEvent, Summary
from pochta.store.rows import SUMMARY_COLUMNS, summary_from_row
from pochta.store.writer import StoreStats, Writer, store_error

__all__ = ["Store", "open_store"]

logger = logging.getLogger(__name__)

T = TypeVar("T")
_SQLITE_HEADER = b"SQLite format 3\x00"
_PARSED_CACHE = 32


def open_store(
    path: str | os.PathLike[str], *, max_messages: int = 0, max_age: timedelta | None = None
) -> Store:
    """Open the store at ``path``, creating the file and its folder if missing.

    ``max_messages`` keeps only the newest N messages (0: no limit) and
    ``max_age`` deletes older messages; both apply after each insert and on
    :meth:`Store.prune`. Raises StoreFormatError for a file that is not a
    pochta store (or comes from a newer pochta), StoreError when the
    location cannot be created or written::

        store = open_store("~/.pochta/mail.db", max_messages=500)
        message_id = store.add(raw_bytes, Envelope("a@example.com", ("b@example.com",)))
        store.close()
    """
    return Store(Path(path).expanduser(), max_messages=max_messages, max_age=max_age)


def _connect(path: Path) -> sqlite3.Connection:
    if path.is_dir():
        raise StoreError(
            f"{path} is a folder; give the store a file name, e.g. {path / 'pochta.db'}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder {path.parent} for the store ({exc.strerror}); "
            "give a path in a folder you can write to"
        ) from exc
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_HEADER))
    except FileNotFoundError:
        head = b""
    except OSError as exc:
        raise StoreError(
            f"cannot read the store {path} ({exc.strerror}); check its permissions"
        ) from exc
    if head and head != _SQLITE_HEADER:
        raise StoreFormatError(
            f"{path} is not a pochta store (not an SQLite database); "
            "give pochta a new file name (it creates the file) or move that file away"
        )
    try:
        return sqlite3.connect(path, timeout=10, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the store {path} ({exc}); give a writable path") from exc


class Store:
    """A mailbox of captured messages in one SQLite file; use :func:`open_store`.

    Writes go through one writer thread; reads use one connection per thread
    and never wait behind a write. Every method may be called from any thread.
    """

    def __init__(
        self, path: Path, *, max_messages: int = 0, max_age: timedelta | None = None
    ) -> None:
        """Open (creating or upgrading) the store file at ``path``."""
        self.path = path
        self.max_messages = max_messages
        self.max_age = max_age
        connection = _connect(path)
        try:
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode != "wal":
                logger.warning("store %s runs in %s mode, not WAL", path, mode)
            connection.execute("PRAGMA synchronous = FULL")
            migrate(connection, path)
        except BaseException as exc:
            connection.close()
            if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
                raise StoreFormatError(
                    f"{path} is not a pochta store (not a readable SQLite database); "
                    "give pochta a new file name or move that file away"
                ) from exc
            if isinstance(exc, sqlite3.Error):
                raise store_error(exc, path, "open the store") from exc
            raise
        self._subscribers: list[Callable[[StoreEvent], None]] = []
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._parsed: OrderedDict[str, ParsedMessage] = OrderedDict()
        self._closed = False
        self._writer = Writer(connection, path, self._after_insert, self._announce)

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
        """Store ``raw`` and return its new id once the commit is on disk."""
        future: Future[str] = Future()
        self._refuse_on_writer("add()")
        self._writer.insert(raw, envelope, _settler(future))
        return future.result()

    async def aadd(self, raw: bytes, envelope: Envelope) -> str:
        """Store ``raw`` from the event loop; resolve with its id after the commit.

        Parsing and the commit happen on the writer thread; messages that
        arrive together share one commit.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()

        def settle(value: Any, error: BaseException | None) -> None:
            try:
                loop.call_soon_threadsafe(_resolve, future, value, error)
            except RuntimeError:  # the loop closed while the message was being stored
                logger.debug("event loop closed before message %s was acknowledged", value)

        self._writer.insert(raw, envelope, settle)
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
            with self._lock:
                self._parsed.clear()
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

    def _announce(self, events: list[StoreEvent]) -> None:
        for event in events:
            self._emit(event)

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

        The callback runs on the thread that committed (the writer thread); it
        must return quickly and must not change the store itself. An exception
        it raises is logged and ignored.
        """
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _emit(self, event: StoreEvent) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(event)
            except Exception:
                logger.exception("store subscriber %r failed on %s", callback, event.kind)

    # -- reading ---------------------------------------------------------------

    @contextmanager
    def _read(self, doing: str) -> Iterator[sqlite3.Connection]:
        """Yield this thread's reading connection inside one read transaction."""
        connection = self._reader()
        try:
            connection.execute("BEGIN")
            try:
                yield connection
            finally:
                connection.execute("COMMIT")
        except sqlite3.Error as exc:
            raise store_error(exc, self.path, doing) from exc

    def _reader(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is not None and not self._closed:
            return connection
        with self._lock:
            if self._closed:
                raise StoreError(f"the store {self.path} is closed; open it again to read")
            connection = sqlite3.connect(
                self.path, timeout=10, isolation_level=None, check_same_thread=False
            )
            connection.execute("PRAGMA query_only = 1")
            self._readers.append(connection)
        self._local.connection = connection
        return connection

    def count(self) -> tuple[int, int]:
        """Return (total, unread) from the trigger-kept tally: one row, any store size."""
        with self._read("count messages") as connection:
            total, unread = connection.execute("SELECT total, unread FROM tally").fetchone()
        return int(total), int(unread)

    def list_messages(self, *, start: int = 0, limit: int = 50) -> MessagePage:
        """Return ``limit`` summaries from position ``start``, newest first, with totals."""
        start, limit = max(start, 0), max(limit, 0)
        with self._read("list messages") as connection:
            total, unread = connection.execute("SELECT total, unread FROM tally").fetchone()
            rows = connection.execute(
                f"SELECT {SUMMARY_COLUMNS} FROM message ORDER BY seq DESC LIMIT ? OFFSET ?",
                (limit, start),
            ).fetchall()
        messages = tuple(summary_from_row(row) for row in rows)
        return MessagePage(total=total, unread=unread, start=start, messages=messages)

    def resolve_id(self, id_or_latest: str) -> str:
        """Return the id itself if stored, or the newest id for "latest"."""
        with self._read("find a message") as connection:
            if id_or_latest == "latest":
                row = connection.execute(
                    "SELECT id FROM message ORDER BY seq DESC LIMIT 1"
                ).fetchone()
            else:
                row = connection.execute(
                    "SELECT id FROM message WHERE id = ?", (id_or_latest,)
                ).fetchone()
        if row is None:
            raise MessageNotFound(_not_found(id_or_latest))
        return str(row[0])

    def summary(self, id: str) -> Summary:
        """Return the Summary of message ``id``; MessageNotFound if absent."""
        with self._read("read a message") as connection:
            row = connection.execute(
                f"SELECT {SUMMARY_COLUMNS} FROM message WHERE id = ?", (id,)
            ).fetchone()
        if row is None:
            raise MessageNotFound(_not_found(id))
        return summary_from_row(row)

    def raw(self, id: str) -> bytes:
        """Return message ``id`` exactly as it was received."""
        with self._read("read a message") as connection:
            row = connection.execute(
                "SELECT r.encoding, r.data FROM message AS m JOIN message_raw AS r USING (seq)"
                " WHERE m.id = ?",
                (id,),
            ).fetchone()
        if row is None:
            raise MessageNotFound(_not_found(id))
        encoding, data = row
        return zlib.decompress(data) if encoding == 1 else bytes(data)

    def parsed(self, id: str) -> ParsedMessage:
        """Return the full parse of message ``id`` (recent ones are cached)."""
        with self._lock:
            cached = self._parsed.get(id)
        if cached is not None:
            return cached
        parsed = parse_message(self.raw(id))
        with self._lock:
            self._parsed[id] = parsed
            while len(self._parsed) > _PARSED_CACHE:
                self._parsed.popitem(last=False)
        return parsed

    def part(self, id: str, part_id: str) -> tuple[Part, bytes]:
        """Return one leaf of message ``id`` and its decoded payload."""
        found = read_part(self.raw(id), part_id)
        if found is None:
            raise MessageNotFound(f"message {id} has no part {part_id!r}")
        return found

    def _forget(self, ids: Sequence[str]) -> None:
        with self._lock:
            for id in ids:
                self._parsed.pop(id, None)

    def close(self) -> None:
        """Finish pending writes, then close every connection; later calls raise StoreError."""
        self._writer.close()
        with self._lock:
            self._closed = True
            readers, self._readers = self._readers, []
        for connection in readers:
            connection.close()


def _not_found(id: str) -> str:
    return f"no message with id {id!r} (it may have been deleted or pruned)"


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
