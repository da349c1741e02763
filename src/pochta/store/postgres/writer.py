"""Group commit for PostgreSQL: one thread inserts every queued message in one transaction.

Messages handed to :meth:`Writer.insert` while the previous transaction was
committing go into the next one together: one ``INSERT ... SELECT FROM
unnest(...)`` for the rows, one for the bytes, one for the tags, pruning,
the notification of the complete ones, then ``COMMIT``. Only after the
``COMMIT`` returns does each caller learn its id (and the SMTP client its
``250``); if anything fails, every caller of the group hears the error and
nothing of the group is stored. Other changes (read flags, tags, deletes)
run on their callers' threads: PostgreSQL orders them itself.

A message is summarised on the thread that hands it in, before it is
queued, as in the SQLite store: with ``complete`` it is parsed fully and
stored indexed; otherwise only its header block is read and an indexer
(:mod:`pochta.store.postgres.indexer`) completes it after the commit.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pochta.exceptions import StoreError
from pochta.message.envelope import Envelope
from pochta.message.headline import read_headline
from pochta.message.parse import parse_message
from pochta.store.identity import new_id
from pochta.store.limit import Limits
from pochta.store.postgres import change
from pochta.store.postgres.announcer import Announcer
from pochta.store.postgres.connection import redact, store_error
from pochta.store.postgres.listener import by_mailbox, notify
from pochta.store.postgres.row import CONTENT_COLUMNS, content_values
from pochta.store.postgres.words import CONFIG, fold
from pochta.store.record import StoreEvent, Summary
from pochta.store.settle import settle_logged
from pochta.store.summary import search_text, summarise
from pochta.store.tag import tag_key

__all__ = ["MAX_GROUP", "MAX_GROUP_BYTES", "Settle", "Writer", "WriterStats", "prepare"]

logger = logging.getLogger(__name__)

MAX_GROUP = 512
MAX_GROUP_BYTES = 64 * 1024 * 1024

Settle = Callable[[Any, BaseException | None], None]

_INSERT = (
    "INSERT INTO message (id, mailbox, created, size, message_id, subject, summary,"
    " addr_from, addr_to, addr_cc, addr_bcc, addr_reply_to, subject_lower, attachments,"
    " inline, indexed, words)"
    " SELECT v.id, v.mailbox, v.created, v.size, v.message_id, v.subject, v.summary::jsonb,"
    " v.addr_from, v.addr_to, v.addr_cc, v.addr_bcc, v.addr_reply_to, v.subject_lower,"
    f" v.attachments, v.inline, v.words IS NOT NULL, to_tsvector('{CONFIG}', v.words)"
    " FROM unnest(%s::text[], %s::text[], %s::timestamptz[], %s::bigint[], %s::text[],"
    " %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
    " %s::text[], %s::int[], %s::int[], %s::text[])"
    " AS v(id, mailbox, created, size, message_id, subject, summary, addr_from, addr_to,"
    " addr_cc, addr_bcc, addr_reply_to, subject_lower, attachments, inline, words)"
    " RETURNING seq, id"
)
assert CONTENT_COLUMNS[0] == "message_id" and len(CONTENT_COLUMNS) == 11


class WriterStats:
    """Counters of what the writer has done since the store was opened."""

    __slots__ = ("commits", "messages")

    def __init__(self) -> None:
        """Start every counter at zero."""
        self.commits = 0
        self.messages = 0


@dataclass(frozen=True, slots=True)
class Prepared:
    """One message ready to insert: its summary, bytes, mailbox and (if parsed fully) words."""

    summary: Summary
    mailbox: str
    inline: int
    raw: bytes
    words: str | None
    settle: Settle


def prepare(
    raw: bytes, envelope: Envelope, mailbox: str, settle: Settle, complete: bool
) -> Prepared:
    """Summarise one message (fully, or from its header block) outside any transaction."""
    parsed = parse_message(raw) if complete else read_headline(raw)
    summary = summarise(new_id(), parsed, envelope, datetime.now(UTC))
    words = None
    if complete:
        text = search_text(parsed, summary)
        words = fold(" ".join((text.subject, text.addresses, text.body, text.files)))
    return Prepared(summary, mailbox, len(parsed.inline), raw, words, settle)


_STOP = object()


class Writer:
    """Own the insert queue and commit it in groups on one thread."""

    def __init__(
        self,
        pool: Any,
        url: str,
        origin: str,
        limits: Limits,
        announcer: Announcer,
        unindexed: Callable[[], None],
        *,
        synchronous: bool = True,
    ) -> None:
        """Start the thread; ``unindexed`` is called after a group that holds incomplete ones.

        ``synchronous`` False commits the groups with ``synchronous_commit = off``.
        """
        self.stats = WriterStats()
        self._pool = pool
        self._url = url
        self._origin = origin
        self._limits = limits
        self._announcer = announcer
        self._unindexed = unindexed
        self._synchronous = synchronous
        self._queue: queue.SimpleQueue[Prepared | Callable[[], None] | object] = (
            queue.SimpleQueue()
        )
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(
            target=self._run, name=f"pochta-store {redact(url)}", daemon=True
        )
        self._thread.start()

    @property
    def on_thread(self) -> bool:
        """Return True when called from the writer thread itself (e.g. a subscriber)."""
        return threading.current_thread() is self._thread

    def refuse_on_thread(self, what: str) -> None:
        """Raise StoreError if called from the writer thread: ``what`` would wait on itself."""
        if self.on_thread:
            raise StoreError(
                f"{what} was called from a store subscriber; subscribers run on the "
                "writer thread, so hand the work to another thread or the event loop"
            )

    def submit(self, job: Prepared | Callable[[], None]) -> None:
        """Queue a prepared message, or a callable run once everything before it is done."""
        with self._lock:
            if self._closed:
                raise StoreError(
                    f"the store {redact(self._url)} is closed; open it again to write"
                )
            self._queue.put(job)

    def close(self) -> None:
        """Finish every queued message, then stop the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        if not self.on_thread:
            self._thread.join()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            group: list[Prepared] = []
            size = 0
            while isinstance(job, Prepared):
                group.append(job)
                size += len(job.raw)
                if len(group) >= MAX_GROUP or size >= MAX_GROUP_BYTES:
                    job = None
                    break
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    job = None
            if group:
                self._insert_group(group)
            if job is _STOP:
                return
            if callable(job):
                job()

    def _insert_group(self, group: list[Prepared]) -> None:
        incomplete = [item.summary.id for item in group if item.words is None]
        # Before the commit: from then on another catcher may announce them to us.
        self._announcer.expect(incomplete)
        try:
            with self._pool.connection() as connection, connection.transaction():
                pruned = self._insert(connection, group)
        except Exception as exc:
            self._announcer.forget(incomplete)
            error = store_error(exc, self._url, f"store {len(group)} message(s)")
            logger.error("%s", error)
            for item in group:
                settle_logged(item.settle, None, error)
            return
        self.stats.commits += 1
        self.stats.messages += len(group)
        self._announcer.committed(incomplete)
        events = [
            StoreEvent("new", (item.summary.id,), item.summary, mailbox=item.mailbox)
            for item in group
            if item.words is not None
        ]
        events += [
            StoreEvent("prune", tuple(ids), mailbox=box) for box, ids in by_mailbox(pruned).items()
        ]
        # Subscribers hear of a complete message before its sender does.
        self._announcer.announce(events)
        if incomplete:
            self._unindexed()
        for item in group:
            settle_logged(item.settle, item.summary.id, None)

    def _insert(self, connection: Any, group: list[Prepared]) -> list[tuple[str, str]]:
        if not self._synchronous:
            connection.execute("SET LOCAL synchronous_commit = off")
        rows = [
            (
                item.summary.id,
                item.mailbox,
                item.summary.created,
                item.summary.size,
                *content_values(item.summary, item.inline),
                item.words,
            )
            for item in group
        ]
        columns = [list(column) for column in zip(*rows, strict=True)]
        seq_of = {id: seq for seq, id in connection.execute(_INSERT, columns)}
        seqs = [seq_of[item.summary.id] for item in group]
        connection.execute(
            "INSERT INTO message_raw (seq, data) SELECT * FROM unnest(%s::bigint[], %b::bytea[])",
            (seqs, [item.raw for item in group]),
        )
        tags = [
            (seq, tag, tag_key(tag))
            for seq, item in zip(seqs, group, strict=True)
            for tag in item.summary.tags
        ]
        if tags:
            connection.execute(
                "INSERT INTO message_tag (seq, tag, folded)"
                " SELECT * FROM unnest(%s::bigint[], %s::text[], %s::text[])"
                " ON CONFLICT DO NOTHING",
                ([t[0] for t in tags], [t[1] for t in tags], [t[2] for t in tags]),
            )
        complete = [(item.summary.id, item.mailbox) for item in group if item.words is not None]
        if complete:
            notify(connection, self._origin, "new", by_mailbox(complete))
        pruned = change.prune(connection, self._limits) if self._limits.active else []
        if pruned:
            notify(connection, self._origin, "prune", by_mailbox(pruned))
        return pruned
