"""The check routes, with Mailpit's paths and shapes; the work is in :mod:`pochta.server.check`.

=================================================  ==========================================
``GET /api/v1/message/{ID}/part/{PartID}/thumb``   a 180×120 JPEG of an image attachment
``GET /api/v1/message/{ID}/link-check?follow=``    every link asked whether it answers
``GET /api/v1/message/{ID}/html-check``            HTML and CSS against email clients' support
``GET /api/v1/message/{ID}/sa-check``              the score of SpamAssassin's spamd
=================================================  ==========================================

Every ``{ID}`` also takes ``latest`` (Mailpit's swagger promises it for the
thumbnail too, though Mailpit answers 400 there). None of them marks the
message read: a check is not reading.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pochta.exceptions import MessageNotFound
from pochta.server.api.dependency import MessageID, PartID, StoreDep, resolve
from pochta.server.api.model import ERRORS
from pochta.server.api.shape import JSON
from pochta.server.check import ChecksDep
from pochta.server.check.html import check_html

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["other"])

_PART_ID = re.compile(r"\d{1,4}(\.\d{1,4}){0,31}")
_UNSAFE_NAME = re.compile(r'[^\x20-\x7e]|["\\]')
Follow = Annotated[str, Query(description="Follow redirects (true or 1)")]


@router.get(
    "/message/{ID}/part/{PartID}/thumb",
    summary="Get an attachment image thumbnail",
    tags=["message"],
    response_class=Response,
    responses={**ERRORS, 200: {"content": {"image/jpeg": {}}}},
)
def thumbnail(id: MessageID, part_id: PartID, store: StoreDep, checks: ChecksDep) -> Response:
    """Return a 180×120 JPEG of an image part (a blank one for anything else)."""
    message_id = resolve(store, id)
    if not _PART_ID.fullmatch(part_id):
        raise MessageNotFound(f"message {message_id} has no part {part_id!r}")

    def load() -> tuple[bytes, str, str]:
        part, payload = store.part(message_id, part_id)  # MessageNotFound for no such part
        return payload, part.content_type, part.filename or part.content_id

    jpeg, name = checks.thumbnails.get((message_id, part_id), load)
    name = _UNSAFE_NAME.sub("_", name or f"part-{part_id}")
    headers = {"content-disposition": f'inline; filename="{name}.jpg"'}
    return Response(jpeg, media_type="image/jpeg", headers=headers)


@router.get("/message/{ID}/link-check", summary="Link check", responses=ERRORS)
async def link_check(
    id: MessageID, store: StoreDep, checks: ChecksDep, follow: Follow = "false"
) -> JSON:
    """Ask every http(s) link and image of the message whether it answers (HEAD, then GET)."""
    message_id = await run_in_threadpool(resolve, store, id)
    parsed = await run_in_threadpool(store.parsed, message_id)
    return await checks.links.check(parsed.links, follow=follow.lower() in ("true", "1"))


@router.get("/message/{ID}/html-check", summary="HTML check", responses=ERRORS)
def html_check(id: MessageID, store: StoreDep) -> JSON:
    """Score the message's HTML and CSS against email clients' support (caniemail data)."""
    parsed = store.parsed(resolve(store, id))
    if not parsed.html:
        raise HTTPException(400, "message does not contain HTML")
    return check_html(parsed.html)


@router.get("/message/{ID}/sa-check", summary="SpamAssassin check", responses=ERRORS)
async def sa_check(id: MessageID, store: StoreDep, checks: ChecksDep) -> JSON:
    """Score the message with spamd; spamd's failures are an ``Error`` in a 200 (as Mailpit)."""
    if checks.spam is None:
        raise HTTPException(
            404, "the spam check is off; start pochta serve with --enable-spamassassin HOST:PORT"
        )
    message_id = await run_in_threadpool(resolve, store, id)
    raw = await run_in_threadpool(store.raw, message_id)
    return (await checks.spam.check(message_id, raw)).json()
