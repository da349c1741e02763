"""The records the store hands out: summaries, pages, facts and events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pochta.message.envelope import Envelope
from pochta.message.record import Address

__all__ = [
    "MessagePage",
    "SearchPage",
    "StoreEvent",
    "StoreInfo",
    "Summary",
]


@dataclass(frozen=True, slots=True)
class Summary:
    """One row of the message list (the fields of Mailpit's MessageSummary).

    ``bcc`` is the ``Bcc`` header plus every envelope recipient that is in
    neither To nor Cc. ``created`` is when the store committed the message
    (UTC); ``date`` is the message's own Date header, if it had a valid one.
    """

    id: str
    message_id: str
    read: bool
    from_: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    subject: str
    created: datetime
    date: datetime | None
    size: int
    snippet: str
    attachments: int
    tags: tuple[str, ...]
    envelope: Envelope
    parse_problem: str | None


@dataclass(frozen=True, slots=True)
class MessagePage:
    """One page of the newest-first list, with the totals of the whole store."""

    total: int
    unread: int
    start: int
    messages: tuple[Summary, ...]


@dataclass(frozen=True, slots=True)
class SearchPage:
    """One page of search results, newest first.

    ``total`` and ``unread`` count the whole store; ``matched`` and
    ``matched_unread`` the messages the query matches (Mailpit's
    ``messages_count`` and ``messages_unread``).
    """

    total: int
    unread: int
    matched: int
    matched_unread: int
    start: int
    messages: tuple[Summary, ...]


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """Facts about the store for ``/api/v1/info``.

    ``location`` is the store's :attr:`~pochta.store.Store.location` (a file
    path, a URL without its password); ``size_bytes`` what it takes on disk
    (for SQLite the file plus its write-ahead log); ``tags`` maps each tag to
    the number of messages carrying it; ``unindexed`` counts messages still
    to be indexed; ``schema`` is the store's schema version; ``engine`` names
    the database and its version ("SQLite 3.40.1").
    """

    location: str
    size_bytes: int
    total: int
    unread: int
    tags: dict[str, int]
    unindexed: int
    schema: int
    engine: str


@dataclass(frozen=True, slots=True)
class StoreEvent:
    """A change the store announces to subscribers after it is committed.

    ``kind`` is "new" (with ``summary``), "update" (read flags or tags changed),
    "delete", "truncate" (everything deleted; ``ids`` is empty), "prune", or
    "resync" (changes may have been missed: reload). ``mailbox`` names the
    mailbox of every message in ``ids``; None means every mailbox. ``remote``
    is True for a change another catcher sharing the store made (and acts on
    itself: its webhook, its tag rules).
    """

    kind: str
    ids: tuple[str, ...]
    summary: Summary | None = None
    mailbox: str | None = None
    remote: bool = False
