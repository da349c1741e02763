"""The second phase of ingest in PostgreSQL: parse committed messages, on a thread of its own.

A message stored by ``aadd`` is committed with a summary read from its
headers (``indexed = false``) and its sender is answered at once. The
:class:`Indexer` then locks a batch of such rows with ``FOR UPDATE SKIP
LOCKED``, parses each, writes the complete summary, search columns and
words, notifies ``new`` and commits; only then does this process announce
them. ``SKIP LOCKED`` lets the indexers of several catchers share the work
without ever parsing one message twice: each takes the messages its own
process committed, and any message left unindexed for :data:`ORPHAN_AFTER`
(its catcher crashed, or lags far behind), so nothing stays unindexed.

A message of this process that another catcher indexed first is announced
when that catcher's notification arrives, or at the latest here, on the next
sweep (:meth:`Indexer._settle_pending`), whichever comes first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from pochta.store.postgres import reader
from pochta.store.postgres.announcer import Announcer
from pochta.store.postgres.connection import redact
from pochta.store.postgres.listener import by_mailbox, notify
from pochta.store.postgres.row import READ_COLUMNS, content_values, summary_from_row
from pochta.store.postgres.words import CONFIG, fold
from pochta.store.record import StoreEvent, Summary
from pochta.store.summary import complete_summary, search_text

__all__ = [
    "BATCH",
    "INSERT_CHECKSUM",
    "ORPHAN_AFTER",
    "SWEEP_EVERY",
    "TAKE_COLUMNS",
    "UPDATE_INDEXED",
    "Indexer",
    "index_row",
]

logger = logging.getLogger(__name__)

BATCH = 64
#: Another catcher's message unindexed for this long is indexed here too.
ORPHAN_AFTER = timedelta(seconds=10)
#: Seconds between two looks for work when nobody wakes the indexer.
SWEEP_EVERY = 2.0
#: While the writer takes more than BUSY_RATE messages a second, the indexer
#: works at most DUTY of the time, as in the SQLite store: parsing holds the GIL.
BUSY_RATE = 100.0
DUTY = 0.1

#: The columns :func:`index_row` reads, from ``message AS m JOIN message_raw AS r``.
TAKE_COLUMNS = f"{READ_COLUMNS}, m.seq, r.data"
_TAKE = (
    f"SELECT {TAKE_COLUMNS} FROM message AS m JOIN message_raw AS r USING (seq)"
    " WHERE NOT m.indexed AND (m.id = ANY(%s) OR m.created < now() - %s)"
    " ORDER BY m.seq LIMIT %s FOR UPDATE OF m SKIP LOCKED"
)
INSERT_CHECKSUM = (
    "INSERT INTO message_checksum (seq, part_id, size, md5, sha1, sha256)"
    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
)
UPDATE_INDEXED = (
    "UPDATE message AS m SET message_id = v.message_id, subject = v.subject,"
    " summary = v.summary::jsonb, addr_from = v.addr_from, addr_to = v.addr_to,"
    " addr_cc = v.addr_cc, addr_bcc = v.addr_bcc, addr_reply_to = v.addr_reply_to,"
    " subject_lower = v.subject_lower, attachments = v.attachments, inline = v.inline,"
    f" indexed = true, words = to_tsvector('{CONFIG}', v.words)"
    " FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],"
    " %s::text[], %s::text[], %s::text[], %s::text[], %s::int[], %s::int[], %s::text[])"
    " AS v(seq, message_id, subject, summary, addr_from, addr_to, addr_cc, addr_bcc,"
    " addr_reply_to, subject_lower, attachments, inline, words) WHERE m.seq = v.seq"
)


class Indexer:
    """Complete header-only rows on a thread of its own, then announce them."""

    def __init__(
        self,
        pool: Any,
        url: str,
        origin: str,
        announcer: Announcer,
        inserted: Callable[[], int],
        *,
        enabled: bool = True,
    ) -> None:
        """Start the thread; ``inserted`` counts the writer's messages (for throttling).

        ``enabled`` False starts nothing (a read-only store indexes nothing).
        """
        self._pool = pool
        self._url = url
        self._origin = origin
        self._announcer = announcer
        self._inserted = inserted
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"pochta-index {redact(url)}", daemon=True
        )
        if enabled:
            self._thread.start()

    def wake(self) -> None:
        """Look for work now (the writer committed messages still to be indexed)."""
        self._wake.set()

    def close(self) -> None:
        """Stop after the batch in hand; what is left is indexed by the next catcher to open."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join()

    def _run(self) -> None:
        last_rate = (time.monotonic(), self._inserted())
        while not self._stop.is_set():
            self._wake.wait(SWEEP_EVERY)
            self._wake.clear()
            while not self._stop.is_set():
                started = time.monotonic()
                try:
                    done = self._batch()
                    if not done:
                        self._settle_pending()
                except Exception as error:
                    logger.warning("indexing in %s failed, retrying: %s", redact(self._url), error)
                    self._stop.wait(SWEEP_EVERY)
                    break
                if not done:
                    break
                last_rate = self._throttle(started, last_rate)

    def _throttle(self, started: float, last: tuple[float, int]) -> tuple[float, int]:
        now, count = time.monotonic(), self._inserted()
        rate = (count - last[1]) / max(now - last[0], 1e-3)
        if rate > BUSY_RATE:
            self._stop.wait((now - started) * (1 / DUTY - 1))
        return now, count

    def _batch(self) -> int:
        """Index one batch; return how many messages it held."""
        pending = self._announcer.pending()
        with self._pool.connection() as connection, connection.transaction():
            rows = connection.execute(
                _TAKE, (pending, ORPHAN_AFTER, BATCH), binary=True
            ).fetchall()
            if not rows:
                return 0
            summaries: list[tuple[Summary, str]] = []
            columns = []
            checksums: list[tuple[Any, ...]] = []
            for row in rows:
                summary, values, sums = index_row(row)
                summaries.append((summary, str(row[1])))
                columns.append(values)
                checksums.extend(sums)
            connection.execute(UPDATE_INDEXED, [list(c) for c in zip(*columns, strict=True)])
            if checksums:
                with connection.cursor() as cursor:
                    cursor.executemany(INSERT_CHECKSUM, checksums)
            notify(
                connection, self._origin, "new", by_mailbox((s.id, box) for s, box in summaries)
            )
        # Ours or an orphan: either way this process announces it, once.
        self._announcer.claim([summary.id for summary, _ in summaries])
        self._announcer.announce(
            [StoreEvent("new", (s.id,), s, mailbox=box) for s, box in summaries]
        )
        return len(rows)

    def _settle_pending(self) -> None:
        """Announce this process's messages that another catcher indexed (or that are gone).

        Only committed ones: a message whose commit is under way is not gone.
        """
        pending = self._announcer.pending(committed=True)
        if not pending:
            return
        with self._pool.connection() as connection:
            rows = connection.execute(
                "SELECT m.seq, m.id, m.mailbox, m.indexed FROM message AS m WHERE m.id = ANY(%s)",
                (pending,),
            ).fetchall()
            indexed = [(seq, id, box) for seq, id, box, done in rows if done]
            summaries = reader.read_summaries(connection, [seq for seq, _, _ in indexed])
        present = {id for _, id, _, _ in rows}
        self._announcer.forget([id for id in pending if id not in present])
        boxes = {id: box for _, id, box in indexed}
        claimed = set(self._announcer.claim(boxes))
        events = [StoreEvent("new", (s.id,), s, boxes[s.id]) for s in summaries if s.id in claimed]
        self._announcer.announce(events)
        # Claimed but gone meanwhile: no event will come for them.
        self._announcer.forget(claimed - {event.ids[0] for event in events})


def index_row(
    row: tuple[Any, ...],
) -> tuple[Summary, tuple[Any, ...], list[tuple[Any, ...]]]:
    """Parse one row of :data:`TAKE_COLUMNS`.

    Returns its summary, its ``UPDATE_INDEXED`` values and the
    :data:`INSERT_CHECKSUM` values of each of its files.
    """
    summary = summary_from_row(row[:10])
    seq, raw = row[10], bytes(row[11])
    full, parsed = complete_summary(summary, raw, checksums=True)
    text = search_text(parsed, full)
    words = fold(" ".join((text.subject, text.addresses, text.body, text.files)))
    sums = [
        (seq, p.part_id, p.size, p.checksums.md5, p.checksums.sha1, p.checksums.sha256)
        for p in (*parsed.attachments, *parsed.inline)
        if p.checksums is not None
    ]
    return full, (seq, *content_values(full, len(parsed.inline)), words), sums
