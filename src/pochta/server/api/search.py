"""``GET`` and ``DELETE /api/v1/search``: Mailpit's search, on the store's index.

The query language is Mailpit's (:mod:`pochta.store.query`): free words,
``"quoted phrases"``, ``from:``, ``to:``, ``subject:``, ``tag:``, ``is:unread``,
``has:attachment``, ``before:``/``after:``, ``larger:``/``smaller:`` and ``-``
or ``!`` to negate. ``tz`` names the time zone of dates without one.

Text the parser cannot read is a 400 that quotes the bad term; an empty
query is a 400 too, as in Mailpit (``DELETE`` of everything is
``DELETE /api/v1/messages``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from pochta.server.api.dependency import (
    QUERY_HELP,
    TZ_HELP,
    Limit,
    Start,
    StoreDep,
    matching_ids,
    search_text,
    time_zone,
)
from pochta.server.api.model import MessagesSummary, documented
from pochta.server.api.shape import JSON, search_json

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["messages"])


@router.get(
    "/search",
    summary="Search messages, newest first",
    response_model=None,
    responses=documented(MessagesSummary),
)
def search(
    store: StoreDep,
    query: Annotated[str, Query(description=QUERY_HELP)] = "",
    start: Start = 0,
    limit: Limit = 50,
    tz: Annotated[str, Query(description=TZ_HELP)] = "",
) -> JSON:
    """Return Mailpit's ``MessagesSummary`` of the messages matching ``query``.

    ``total``/``unread`` count the mailbox, ``messages_count``/``messages_unread``
    the matches.
    """
    page = store.search(search_text(query), start=start, limit=limit, tz=time_zone(tz))
    return search_json(page, tags=store.tags())


@router.delete(
    "/search", summary="Delete the messages matching a search", response_class=PlainTextResponse
)
def delete_search(
    store: StoreDep,
    query: Annotated[str, Query(description=QUERY_HELP)] = "",
    tz: Annotated[str, Query(description=TZ_HELP)] = "",
) -> PlainTextResponse:
    """Delete every message matching ``query``; answers ``ok`` (also when none matched)."""
    ids = matching_ids(store, query, tz)
    if ids:
        store.delete(ids)
    return PlainTextResponse("ok")
