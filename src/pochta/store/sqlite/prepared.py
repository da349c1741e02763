"""A message made ready for the SQLite writer: its summary and its bytes as stored.

:func:`prepare` summarises a message (fully, or from its header block alone:
the first phase of ingest, see :mod:`pochta.store.sqlite.writer`) and packs its
bytes (:mod:`pochta.store.sqlite.blob`). :class:`Unprepared` is a message
queued as it came, which the writer prepares itself, with its group; a large
one is prepared by :class:`Packers` first, off the writer and the event loop.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from pochta.exceptions import StoreError
from pochta.message.envelope import Envelope
from pochta.message.headline import read_headline
from pochta.message.parse import parse_message
from pochta.store.identity import new_id
from pochta.store.mailbox import DEFAULT_MAILBOX
from pochta.store.record import Summary
from pochta.store.settle import Settle, settle_logged
from pochta.store.sqlite.blob import pack
from pochta.store.summary import SearchText, search_text, summarise

__all__ = ["PACKERS", "Packers", "Prepared", "Unprepared", "prepare"]

PACKERS = 2
"""Threads that prepare large messages at once (their zlib runs without the GIL)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """A message ready to insert: its summary, its bytes as stored, its search text if parsed."""

    summary: Summary
    inline: int
    encoding: int
    data: bytes
    text: SearchText | None  # None: summarised from the headers, the indexer completes it
    mailbox: str = DEFAULT_MAILBOX


def prepare(
    raw: bytes,
    envelope: Envelope,
    *,
    complete: bool,
    mailbox: str = DEFAULT_MAILBOX,
    id: str | None = None,
) -> Prepared:
    """Summarise (fully, or from the header block) and compress one message, on this thread.

    ``id`` is the message's id when the caller chose it (a new one otherwise).
    """
    parsed = parse_message(raw) if complete else read_headline(raw)
    summary = summarise(id or new_id(), parsed, envelope, datetime.now(UTC))
    text = search_text(parsed, summary) if complete else None
    encoding, data = pack(raw)
    return Prepared(summary, len(parsed.inline), encoding, data, text, mailbox)


@dataclass(frozen=True, slots=True)
class Unprepared:
    """A message as received, for the writer to :func:`prepare` (from its header block)."""

    raw: bytes
    envelope: Envelope
    mailbox: str = DEFAULT_MAILBOX

    @property
    def data(self) -> bytes:
        """The bytes the group's size is counted by."""
        return self.raw


class Packers:
    """Threads that prepare large messages and hand each to ``insert`` (the writer's queue).

    A large message's compression would hold up the writer or the event loop;
    here it takes no hop back to the loop before it is queued, as an
    ``asyncio.to_thread`` would. ``prepare`` raises StoreError for a message it
    cannot prepare, ``insert`` for a store closed meanwhile; the caller is
    settled with that error. The threads start with the first large message.
    Calls to :meth:`submit` and :meth:`stop` come one at a time (the writer's lock).
    """

    def __init__(
        self,
        prepare: Callable[[Unprepared], Prepared],
        insert: Callable[[Prepared, Settle], None],
    ) -> None:
        """Prepare each message with ``prepare``, then hand it to ``insert``; no thread yet."""
        self._prepare = prepare
        self._insert = insert
        self._queue: queue.SimpleQueue[tuple[Unprepared, Settle] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._closed = False

    @property
    def stopped(self) -> bool:
        """Tell whether :meth:`stop` was called (no message is taken any more)."""
        return self._closed

    def submit(self, item: Unprepared, settle: Settle) -> None:
        """Prepare ``item`` on a packing thread, then insert it.

        RuntimeError once stopped, or when no thread can be started.
        """
        if self._closed:
            raise RuntimeError("the packing threads are stopped")
        while len(self._threads) < PACKERS:  # a start that fails is tried again next time
            thread = threading.Thread(target=self._run, name="pochta-pack", daemon=True)
            try:
                thread.start()
            except RuntimeError:
                if not self._threads:
                    raise
                break
            self._threads.append(thread)
        self._queue.put((item, settle))

    def stop(self) -> None:
        """Refuse new messages; the threads end once those queued are handed on."""
        if not self._closed:
            self._closed = True
            for _ in self._threads:
                self._queue.put(None)

    def join(self) -> None:
        """Wait for the threads to end (after :meth:`stop`)."""
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            item, settle = job
            try:
                self._insert(self._prepare(item), settle)
            except StoreError as error:  # the thread stays, for the messages after it
                settle_logged(settle, None, error)
