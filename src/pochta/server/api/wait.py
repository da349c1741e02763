"""``GET /api/v1/wait``: one request that answers when a matching message is stored.

An extension beside Mailpit's routes, so that no test and no client has to
poll. The request names a search (Mailpit's language, as ``/api/v1/search``)
and a timeout; the answer is the newest matching message already stored (after
``since``, when given), or else the first matching message the store commits
while the request waits::

    curl 'http://127.0.0.1:8025/api/v1/wait?query=subject:reset&timeout=30'

200 answers Mailpit's ``MessageSummary``; after ``timeout`` seconds without a
match, 408 answers ``{"Error": ...}``. The route asks the store's search once,
then again only when the store announces a change ("new" or "update" events,
which arrive on the store's threads and hop to the event loop): it never
polls. A message is announced "new" once it is indexed, so the search finds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from pochta.exceptions import QueryError
from pochta.server.api.dependency import get_store
from pochta.server.api.error import error_response
from pochta.server.api.shape import summary_json
from pochta.store import Store, StoreEvent, Summary
from pochta.store.query import Query as SearchQuery
from pochta.store.query import parse_query

__all__ = ["DEFAULT_WAIT", "MAX_WAIT", "Since", "find_stored", "parse_since", "router"]

logger = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["wait"])

#: Seconds a wait lasts when the request gives no ``timeout``.
DEFAULT_WAIT = 30.0
#: The longest ``timeout`` a request may ask for.
MAX_WAIT = 300.0


@dataclass(frozen=True, slots=True)
class Since:
    """Where stored messages start to count: after a moment, or after a message."""

    moment: datetime | None = None
    message_id: str = ""

    def passed(self, summary: Summary) -> bool:
        """Tell whether ``summary`` and everything older than it are before the mark."""
        if self.message_id and summary.id == self.message_id:
            return True
        return self.moment is not None and summary.created <= self.moment


def parse_since(store: Store, since: str) -> Since:
    """Read ``since``: empty (every message counts), a Unix time, or a message id."""
    text = since.strip()
    if not text:
        return Since()
    try:
        seconds = float(text)
    except ValueError:
        summary = store.summary(store.resolve_id(text))
        return Since(summary.created, summary.id)
    try:
        return Since(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        raise QueryError(
            f"since={since!r} is out of range; give a Unix time in seconds or a message id"
        ) from None


def find_stored(store: Store, query: SearchQuery, since: Since) -> Summary | None:
    """Return the newest stored message matching ``query``, if it came after ``since``."""
    page = store.search(query, limit=1)
    if page.messages and not since.passed(page.messages[0]):
        return page.messages[0]
    return None


def _zone(tz: str) -> tzinfo:
    if not tz:
        return UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise QueryError(f"tz={tz!r} is not a time zone; give a name like Europe/Moscow") from None


async def _disconnected(request: Request) -> None:
    # A GET has no body: after the (empty) request message, the next one the
    # server hands over is the client going away.
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _next_match(
    store: Store, query: SearchQuery, since: Since, changes: asyncio.Queue[None]
) -> Summary:
    while True:
        await changes.get()
        while not changes.empty():  # several changes: one search covers them all
            changes.get_nowait()
        found = await run_in_threadpool(find_stored, store, query, since)
        if found is not None:
            return found


def _describe(query: str, timeout: float) -> str:
    what = f"matching {query!r}" if query.strip() else "at all"
    return (
        f"no message {what} arrived within {timeout:g} s; check that the application "
        f"sends to this server's SMTP address, or wait longer (timeout= up to {MAX_WAIT:g})"
    )


@router.get(
    "/wait",
    summary="Wait for a message matching a search (pochta extension)",
    responses={200: {"description": "MessageSummary"}, 408: {"description": "Timed out"}},
)
async def wait_for_message(
    request: Request,
    query: Annotated[str, Query(description="Search, in Mailpit's language")] = "",
    timeout: Annotated[
        float, Query(ge=0, le=MAX_WAIT, description="Seconds to wait (0: only look)")
    ] = DEFAULT_WAIT,
    since: Annotated[str, Query(description="Unix time or message id to count after")] = "",
    tz: Annotated[str, Query(description="Time zone of before:/after: dates")] = "",
) -> JSONResponse:
    """Answer the newest match stored after ``since``, or the first one to arrive; 408 if none."""
    store = get_store(request)
    search = parse_query(query, tz=_zone(tz))
    loop = asyncio.get_running_loop()
    changes: asyncio.Queue[None] = asyncio.Queue()

    def heard(event: StoreEvent) -> None:  # on one of the store's threads
        if event.kind in ("new", "update"):
            with contextlib.suppress(RuntimeError):  # the loop has closed
                loop.call_soon_threadsafe(changes.put_nowait, None)

    # Listen before looking, so a message stored in between is not missed.
    unsubscribe = store.subscribe(heard)
    try:
        mark = await run_in_threadpool(parse_since, store, since)
        found = await run_in_threadpool(find_stored, store, search, mark)
        if found is None and timeout > 0:
            found = await _race(_next_match(store, search, mark, changes), request, timeout)
    finally:
        unsubscribe()
    if found is None:
        return error_response(408, _describe(query, timeout))
    return JSONResponse(summary_json(found))


async def _race(
    matching: Coroutine[Any, Any, Summary], request: Request, timeout: float
) -> Summary | None:
    """Return the match, or None after ``timeout`` or when the client goes away."""
    match_task = asyncio.ensure_future(matching)
    gone_task = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({match_task, gone_task}, timeout=timeout, return_when="FIRST_COMPLETED")
    finally:
        for task in (match_task, gone_task):
            task.cancel()
        await asyncio.gather(match_task, gone_task, return_exceptions=True)
    if match_task.cancelled():
        return None
    return match_task.result()
