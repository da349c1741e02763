"""Search, tags and the store's facts: the part of :class:`~pochta.store.Store` that finds.

:class:`Finding` is mixed into :class:`~pochta.store.Store`, which provides
the readers, the writer (``_change``) and the events (``_emit``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, tzinfo
from pathlib import Path
from typing import TypeVar

from pochta.store import tags as tagging
from pochta.store.query import Query, parse_query
from pochta.store.reading import Readers, read_info, read_tag_counts
from pochta.store.records import SearchPage, StoreEvent, StoreInfo
from pochta.store.search import search_ids, search_page

__all__ = ["Finding"]

T = TypeVar("T")


class Finding:
    """Search messages, change and list tags, and describe the store."""

    path: Path
    _readers: Readers

    def _change(self, work: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError  # provided by Store

    def _emit(self, event: StoreEvent) -> None:
        raise NotImplementedError  # provided by Store

    def search(
        self, query: str | Query, *, start: int = 0, limit: int = 50, tz: tzinfo = UTC
    ) -> SearchPage:
        """Return one page of the messages matching ``query``, newest first.

        ``query`` is text in Mailpit's search language (see
        :mod:`pochta.store.search` for what each term matches) or a parsed
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
        """Replace the tags of the messages ``ids`` (cleaned: see :mod:`pochta.store.tags`)."""
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
