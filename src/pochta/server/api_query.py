"""What the search routes share: reading ``query`` and ``tz`` into store calls.

``GET``/``DELETE /api/v1/search`` and ``PUT /api/v1/messages`` with
``Search`` read a query the same way: an empty one is refused (Mailpit's
rule), a ``tz`` must name an IANA time zone, and bad text is a
:class:`~pochta.exceptions.QueryError` (400) that quotes the term.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pochta.exceptions import QueryError
from pochta.store import Store

__all__ = ["QUERY_HELP", "TZ_HELP", "matching_ids", "search_text", "time_zone"]

#: The description of every ``tz`` parameter.
TZ_HELP = (
    "Time zone identifier (e.g. Pacific/Auckland) used only for before: and after: "
    "dates that give none; UTC by default"
)
#: The description of every ``query`` parameter.
QUERY_HELP = "Search query, in Mailpit's search language (e.g. from:alice is:unread)"


def time_zone(tz: str) -> tzinfo:
    """Return the zone named ``tz`` (IANA name; empty means UTC), or raise QueryError."""
    name = tz.strip()
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise QueryError(
            f"tz={tz!r} is not a time zone; give an IANA name like Europe/Moscow or leave it out"
        ) from None


def search_text(query: str) -> str:
    """Return ``query`` stripped, or raise QueryError when nothing is left."""
    text = query.strip()
    if not text:
        raise QueryError("no search query; give query=, e.g. query=from:alice@example.com")
    return text


def matching_ids(store: Store, query: str, tz: str) -> list[str]:
    """Return the id of every message matching ``query`` (QueryError for bad text)."""
    return store.search_ids(search_text(query), tz=time_zone(tz))
