"""Reading, search, tags and facts: the part of :class:`~pochta.store.Store` that finds.

:class:`Finding` is mixed into :class:`~pochta.store.Store`, which provides
the readers, the parse caches, the writer (``_change``) and the events (``_emit``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, tzinfo
from email.message import Message
from pathlib import Path
from typing import TypeVar

from pochta.exceptions import MessageNotFound
from pochta.message.parse import find_part, parse_message, parse_tree
from pochta.message.record import ParsedMessage, Part
from pochta.store.identity import is_message_id
from pochta.store.query import Query, parse_query
from pochta.store.recent import Recent
from pochta.store.record import MessagePage, SearchPage, StoreEvent, StoreInfo, Summary
from pochta.store.sqlite import tagging
from pochta.store.sqlite.reader import (
    Readers,
    find_id,
    read_info,
    read_page,
    read_raw,
    read_summary,
    read_tag_counts,
    read_tally,
)
from pochta.store.sqlite.search import search_ids, search_page

__all__ = ["Finding"]

T = TypeVar("T")


class Finding:
    """Search messages, change and list tags, and describe the store."""

    path: Path
    _readers: Readers
    _parsed: Recent[str, ParsedMessage]
    _trees: Recent[str, Message | None]

    def _change(self, work: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError  # provided by Store

    def _emit(self, event: StoreEvent) -> None:
        raise NotImplementedError  # provided by Store

    # -- reading ---------------------------------------------------------------

    def count(self) -> tuple[int, int]:
        """Return (total, unread); cheap at any size (a tally kept by triggers)."""
        with self._readers.snapshot("count messages") as connection:
            return read_tally(connection)

    def list_messages(self, *, start: int = 0, limit: int = 50) -> MessagePage:
        """Return ``limit`` summaries from position ``start``, newest first, with totals."""
        with self._readers.snapshot("list messages") as connection:
            return read_page(connection, max(start, 0), max(limit, 0))

    def resolve_id(self, id_or_latest: str) -> str:
        """Return the id itself if stored, or the newest id for "latest".

        MessageNotFound if none is stored, or the text cannot be an id at all.
        """
        if id_or_latest != "latest" and not is_message_id(id_or_latest):
            raise MessageNotFound(not_found(id_or_latest))
        with self._readers.snapshot("find a message") as connection:
            found = find_id(connection, id_or_latest)
        if found is None:
            raise MessageNotFound(not_found(id_or_latest))
        return found

    def summary(self, id: str) -> Summary:
        """Return the Summary of message ``id``; MessageNotFound if absent."""
        with self._readers.snapshot("read a message") as connection:
            found = read_summary(connection, id)
        if found is None:
            raise MessageNotFound(not_found(id))
        return found

    def raw(self, id: str) -> bytes:
        """Return message ``id`` exactly as it was received."""
        with self._readers.snapshot("read a message") as connection:
            found = read_raw(connection, id)
        if found is None:
            raise MessageNotFound(not_found(id))
        return found

    def parsed(self, id: str) -> ParsedMessage:
        """Return the full parse of message ``id`` (recent ones are cached)."""
        return self._parsed.get(id, lambda: parse_message(self.raw(id)))

    def part(self, id: str, part_id: str) -> tuple[Part, bytes]:
        """Return one leaf of message ``id`` and its decoded payload."""
        found = find_part(self._trees.get(id, lambda: parse_tree(self.raw(id))), part_id)
        if found is None:
            raise MessageNotFound(f"message {id} has no part {part_id!r}")
        return found

    def search(
        self, query: str | Query, *, start: int = 0, limit: int = 50, tz: tzinfo = UTC
    ) -> SearchPage:
        """Return one page of the messages matching ``query``, newest first.

        ``query`` is text in Mailpit's search language (see
        :mod:`pochta.store.sqlite.search` for what each term matches) or a parsed
        :class:`~pochta.store.query.Query`; ``tz`` is the time zone of dates
        without one. Raises QueryError for text that is not a query.
        """
        parsed = parse_query(query, tz=tz) if isinstance(query, str) else query
        with self._readers.snapshot("search messages") as connection:
            return search_page(connection, parsed, max(start, 0), max(limit, 0))

    def search_ids(self, query: str | Query, *, tz: tzinfo = UTC) -> list[str]:
        """Return the id of every message matching ``query``, newest first."""
        parsed = parse_query(query, tz=tz) if isinstance(query, str) else query
        with self._readers.snapshot("search messages") as connection:
            return search_ids(connection, parsed)

    def set_tags(self, ids: Sequence[str], tags: Sequence[str]) -> None:
        """Replace the tags of the messages ``ids`` (see :mod:`pochta.store.tag`)."""
        changed = self._change(lambda c: tagging.set_tags(c, ids, tags))
        if changed:
            self._emit(StoreEvent("update", tuple(changed)))

    def tags(self) -> list[str]:
        """Return every tag in use, sorted without regard to case."""
        with self._readers.snapshot("list tags") as connection:
            return list(read_tag_counts(connection))

    def rename_tag(self, old: str, new: str) -> int:
        """Rename tag ``old`` to ``new`` (ignoring case) on every message; return how many."""
        changed = self._change(lambda c: tagging.rename_tag(c, old, new))
        if changed:
            self._emit(StoreEvent("update", tuple(changed)))
        return len(changed)

    def delete_tag(self, tag: str) -> int:
        """Remove ``tag`` (ignoring case) from every message; return how many had it."""
        changed = self._change(lambda c: tagging.delete_tag(c, tag))
        if changed:
            self._emit(StoreEvent("update", tuple(changed)))
        return len(changed)

    def info(self) -> StoreInfo:
        """Return the path, size on disk, counts, tag counts and indexing backlog."""
        with self._readers.snapshot("read the store's facts") as connection:
            return read_info(connection, self.path)


def not_found(id: str) -> str:
    """Return the MessageNotFound text for ``id``."""
    return f"no message with id {id!r} (it may have been deleted or pruned)"
