"""One page of the inbox list: the newest messages, or those a search matches.

The list reads the store directly (no JSON round trip): ``list_messages`` for
the plain inbox, ``search`` (the same query language as ``GET /api/v1/search``)
when the reader typed a query. Pages are ``PAGE_SIZE`` rows, addressed by
``start`` as in the API, so any page of 100,000 messages is one indexed query.
"""

from __future__ import annotations

from dataclasses import dataclass

from pochta.exceptions import QueryError
from pochta.store import Store, Summary

__all__ = ["PAGE_SIZE", "Listing", "list_page"]

#: Rows on one page of the list.
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Listing:
    """One page of the list: the totals of the store, what matched, and the rows shown."""

    total: int
    unread: int
    matched: int
    start: int
    messages: tuple[Summary, ...]
    query: str = ""
    error: str = ""

    @property
    def newer_start(self) -> int | None:
        """Return the ``start`` of the page before this one, or None on the first page."""
        return max(0, self.start - PAGE_SIZE) if self.start > 0 else None

    @property
    def older_start(self) -> int | None:
        """Return the ``start`` of the page after this one, or None on the last page."""
        following = self.start + PAGE_SIZE
        return following if following < self.matched else None


def list_page(store: Store, query: str = "", start: int = 0) -> Listing:
    """Return the page at ``start`` of the inbox, or of the messages ``query`` matches.

    A query the language cannot read gives an empty page whose ``error`` says why.
    """
    query = query.strip()
    if not query:
        page = store.list_messages(start=start, limit=PAGE_SIZE)
        return Listing(page.total, page.unread, page.total, start, page.messages)
    try:
        return _search(store, query, start)
    except QueryError as error:
        total, unread = store.count()
        return Listing(total, unread, 0, start, (), query=query, error=str(error))


def _search(store: Store, text: str, start: int) -> Listing:
    found = store.search(text, start=start, limit=PAGE_SIZE)
    return Listing(found.total, found.unread, found.matched, start, found.messages, query=text)
