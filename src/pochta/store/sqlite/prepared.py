"""A message made ready for the SQLite writer: its summary and its bytes as stored.

:func:`prepare` summarises a message (fully, or from its header block alone:
the first phase of ingest, see :mod:`pochta.store.sqlite.writer`) and packs its
bytes (:mod:`pochta.store.sqlite.blob`). :class:`Unprepared` is a message
queued as it came, which the writer prepares itself, with its group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from pochta.message.envelope import Envelope
from pochta.message.headline import read_headline
from pochta.message.parse import parse_message
from pochta.store.identity import new_id
from pochta.store.mailbox import DEFAULT_MAILBOX
from pochta.store.record import Summary
from pochta.store.sqlite.blob import pack
from pochta.store.summary import SearchText, search_text, summarise

__all__ = ["Prepared", "Unprepared", "prepare"]


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
    raw: bytes, envelope: Envelope, *, complete: bool, mailbox: str = DEFAULT_MAILBOX
) -> Prepared:
    """Summarise (fully, or from the header block) and compress one message, on this thread."""
    parsed = parse_message(raw) if complete else read_headline(raw)
    summary = summarise(new_id(), parsed, envelope, datetime.now(UTC))
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
