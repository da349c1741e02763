"""The second phase of ingest: parse committed messages fully, on a thread of its own.

A message stored by :meth:`Store.aadd` is committed with a summary read from
its headers (``indexed = 0``) and its sender is answered at once. The
:class:`Indexer` then reads such rows in arrival order, parses each one with
:func:`~pochta.message.parse.parse_message`, and hands the writer one update per
batch: the complete summary, the search columns, the full-text row and
``indexed = 1``. Only after that commit does the store announce the messages
("new" events), so a subscriber always gets a complete summary and finds the
message with :meth:`Store.search`.

The update commits with ``synchronous=NORMAL``: it can be rebuilt from the raw
bytes, which were committed with FULL before the sender was answered. A crash
before the indexer got to a row leaves ``indexed = 0``, and the next open
indexes it. Rows another process inserted are indexed as well.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import threading
import time
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pochta.message.link import html_text
from pochta.message.parse import parse_message
from pochta.message.record import ParsedMessage
from pochta.store.record import StoreEvent, Summary
from pochta.store.sqlite.row import summarise, summary_from_row

__all__ = ["INSERT_TEXT", "MAX_BODY", "Indexer", "complete_summary", "text_values"]

logger = logging.getLogger(__name__)

INSERT_TEXT = (
    "INSERT INTO message_search (seq, subject, addresses, body, files) VALUES (?, ?, ?, ?, ?)"
)
MAX_BODY = 256 * 1024  # characters of body text indexed per message
_BATCH = 64
_BATCH_BYTES = 8 * 1024 * 1024
#: While the writer takes more than BUSY_RATE messages a second, the indexer
#: works at most DUTY of the time: parsing holds the GIL, and every millisecond
#: it takes is one the SMTP sessions and the writer wait for (measured: ingest
#: of small messages fell from 2,600 to 680 a second with an unthrottled indexer;
#: a duty of 0.001 gave about 20 % more than 0.1, but then "new" events wait for
#: the end of any load over 100 messages a second; at 0.1 the indexer still
#: keeps up with about 200 a second).
BUSY_RATE = 100.0
DUTY = 0.1
_UNINDEXED = (
    "SELECT m.seq, m.id, m.created, m.read, m.summary, r.encoding, r.data"
    " FROM message AS m JOIN message_raw AS r USING (seq)"
    " WHERE m.indexed = 0 AND m.seq > ? ORDER BY m.seq LIMIT ?"
)

Apply = Callable[[list[tuple[Summary, int, tuple[str, str, str, str]]]], list[StoreEvent]]


def text_values(parsed: ParsedMessage, summary: Summary) -> tuple[str, str, str, str]:
    """Return the full-text row of a message: subject, addresses, body, file names."""
    addresses = (summary.from_,) if summary.from_ else ()
    mailboxes = (*addresses, *summary.to, *summary.cc, *summary.bcc, *summary.reply_to)
    body = parsed.text if parsed.text.strip() else html_text(parsed.html[:MAX_BODY])
    files = " ".join(p.filename for p in (*parsed.attachments, *parsed.inline) if p.filename)
    return (
        summary.subject,
        " ".join(f"{a.name} {a.address}" for a in mailboxes),
        body[:MAX_BODY],
        files,
    )


def complete_summary(summary: Summary, raw: bytes) -> tuple[Summary, ParsedMessage]:
    """Return the full summary of a message committed with a header-only one.

    Id, arrival time, read flag, envelope and tags stay those of ``summary``.
    """
    parsed = parse_message(raw, links=False)
    full = summarise(summary.id, parsed, summary.envelope, summary.created, summary.read)
    return dataclasses.replace(full, tags=summary.tags), parsed


class Indexer:
    """Index rows with ``indexed = 0`` on a daemon thread, woken after inserts."""

    def __init__(
        self,
        path: Path,
        connect: Callable[[], sqlite3.Connection],
        apply: Apply,
        inserted: Callable[[], int],
    ) -> None:
        """Start the thread; it looks for unindexed rows at once (healing a crash).

        ``apply`` runs a batch of updates on the writer thread and returns
        the events it announced; ``inserted`` counts the messages the writer
        has inserted so far (for the throttle).
        """
        self._path = path
        self._connect = connect
        self._apply = apply
        self._inserted = inserted
        self._rate_mark = (time.monotonic(), inserted())
        self._condition = threading.Condition()
        self._requested = 1
        self._done = 0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"pochta-index {path}", daemon=True)
        self._thread.start()

    def wake(self) -> int:
        """Ask for a pass over unindexed rows; return a ticket for :meth:`wait`."""
        with self._condition:
            self._requested += 1
            self._condition.notify_all()
            return self._requested

    def wait(self, ticket: int, timeout: float | None = None) -> bool:
        """Wait until the pass of ``ticket`` is done (or the indexer stopped)."""
        with self._condition:
            return self._condition.wait_for(
                lambda: self._done >= ticket or self._stopping, timeout
            )

    def close(self, *, wait: bool = True) -> None:
        """Stop after the message being parsed; rows left unindexed wait for the next open.

        ``wait=False`` does not wait for the thread (it may be waiting on the caller).
        """
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if wait and threading.current_thread() is not self._thread:
            self._thread.join()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._requested > self._done or self._stopping)
                if self._stopping:
                    break
                ticket = self._requested
            try:
                connection = connection or self._connect()
                self._index_all(connection)
            except Exception:  # keep the thread: the rows stay unindexed until the next wake
                logger.exception("indexing messages in %s failed; will retry", self._path)
                time.sleep(0.1)
            with self._condition:
                self._done = max(self._done, ticket)
                self._condition.notify_all()
        if connection is not None:
            connection.close()

    def _index_all(self, connection: sqlite3.Connection) -> None:
        after = 0
        while not self._stopping:
            rows = _unindexed(connection, after)
            if not rows:
                return
            after = rows[-1][0]
            batch = []
            for row in rows:
                if self._stopping:
                    return
                started = time.monotonic()
                batch.append(_index_row(row))
                spent = time.monotonic() - started
                # Sleeping releases the GIL: the event loop and the writer go first.
                time.sleep(spent * (1 - DUTY) / DUTY if self._busy() else 0)
            self._apply(batch)

    def _busy(self) -> bool:
        """Tell whether the writer is taking many messages now (over BUSY_RATE a second)."""
        now, count = time.monotonic(), self._inserted()
        then, before = self._rate_mark
        if now - then >= 0.25:
            self._rate_mark = (now, count)
        return (count - before) > BUSY_RATE * max(now - then, 0.05)


def _unindexed(connection: sqlite3.Connection, after: int) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    size = 0
    connection.execute("BEGIN")
    cursor = connection.execute(_UNINDEXED, (after, _BATCH))
    try:
        for row in cursor:  # not fetchall: 64 large messages would all sit in memory
            rows.append(row)
            size += len(row[6])
            if size >= _BATCH_BYTES:
                break
    finally:
        cursor.close()
        connection.execute("COMMIT")
    return rows


def _index_row(row: tuple[Any, ...]) -> tuple[Summary, int, tuple[str, str, str, str]]:
    _, id, created, read, data, encoding, blob = row
    raw = zlib.decompress(blob) if encoding == 1 else bytes(blob)
    headline = summary_from_row((id, created, read, len(raw), "", "", data))
    summary, parsed = complete_summary(headline, raw)
    return summary, len(parsed.inline), text_values(parsed, summary)
