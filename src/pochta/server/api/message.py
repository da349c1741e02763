"""The message routes of the JSON API, with Mailpit's v1 paths, parameters and fields.

Every ``{id}`` also accepts ``latest`` (the newest message). The routes are
plain functions, so FastAPI runs them on its thread pool and the store's
blocking calls never stall the event loop that also runs the SMTP server.
"""

from __future__ import annotations

import mimetypes
import re
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel

from pochta.exceptions import MessageNotFound, QueryError
from pochta.server.api.dependency import (
    TZ_HELP,
    Limit,
    MessageID,
    PartID,
    Start,
    StoreDep,
    body_schema,
    json_body,
    matching_ids,
    resolve,
)
from pochta.server.api.model import ERRORS, Message, MessagesSummary, documented
from pochta.server.api.shape import JSON, message_json, page_json

__all__ = [
    "STREAM_FROM",
    "IDsBody",
    "ReadBody",
    "attachment_disposition",
    "ids_body",
    "read_body",
    "router",
]

router = APIRouter(prefix="/api/v1", tags=["messages"])

_PART_ID = re.compile(r"\d{1,4}(\.\d{1,4}){0,31}")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: Parts from this size on are sent as they are decoded (StreamingResponse).
STREAM_FROM = 1024 * 1024


class IDsBody(BaseModel):
    """Body of ``DELETE /api/v1/messages``: the ids to delete; none means all."""

    IDs: list[str] = []


class ReadBody(BaseModel):
    """Body of ``PUT /api/v1/messages``: the read flag, on these ids, a search's, or all."""

    Read: bool = False
    IDs: list[str] = []
    Search: str = ""


async def ids_body(request: Request) -> IDsBody:
    """Read the body of ``DELETE /api/v1/messages`` (FastAPI dependency)."""
    return await json_body(request, IDsBody)


async def read_body(request: Request) -> ReadBody:
    """Read the body of ``PUT /api/v1/messages`` (FastAPI dependency)."""
    return await json_body(request, ReadBody)


def _ok() -> PlainTextResponse:
    return PlainTextResponse("ok")


@router.get(
    "/messages",
    summary="List messages, newest first",
    response_model=None,
    responses=documented(MessagesSummary),
)
def list_messages(
    store: StoreDep,
    start: Start = 0,
    limit: Limit = 50,
) -> JSON:
    """Return Mailpit's ``MessagesSummary``: totals and one page of summaries."""
    return page_json(store.list_messages(start=start, limit=limit), tags=store.tags())


@router.put(
    "/messages",
    summary="Set the read flag",
    responses=ERRORS,
    response_class=PlainTextResponse,
    openapi_extra=body_schema(ReadBody),
)
def set_read(
    store: StoreDep,
    body: Annotated[ReadBody, Depends(read_body)],
    tz: Annotated[str, Query(description=TZ_HELP)] = "",
) -> PlainTextResponse:
    """Mark the given ids, the messages matching ``Search``, or (with neither) every
    message read or unread; answers ``ok``."""
    if body.IDs and body.Search.strip():
        raise QueryError("give either IDs or Search in PUT /api/v1/messages, not both")
    if body.Search.strip():
        ids = matching_ids(store, body.Search, tz)
        if ids:
            store.set_read(ids, body.Read)
    else:
        store.set_read(body.IDs or None, body.Read)
    return _ok()


@router.delete(
    "/messages",
    summary="Delete messages",
    responses=ERRORS,
    response_class=PlainTextResponse,
    openapi_extra=body_schema(IDsBody),
)
def delete_messages(
    store: StoreDep, body: Annotated[IDsBody, Depends(ids_body)]
) -> PlainTextResponse:
    """Delete the given ids; an empty body or no ``IDs`` deletes every message (as Mailpit)."""
    store.delete(body.IDs or None)
    return _ok()


@router.get(
    "/message/{ID}",
    summary="Get a parsed message (marks it read)",
    response_model=None,
    responses=documented(Message),
)
def get_message(id: MessageID, store: StoreDep) -> JSON:
    """Return Mailpit's ``Message``, and mark the message read as Mailpit does."""
    message_id = resolve(store, id)
    summary = store.summary(message_id)
    answer = message_json(summary, store.parsed(message_id))
    if not summary.read:
        store.set_read([message_id], True)
    return answer


@router.get("/message/{ID}/headers", summary="Get the headers of a message", responses=ERRORS)
def get_headers(id: MessageID, store: StoreDep) -> dict[str, list[str]]:
    """Return every header as ``{name: [values...]}``, names sorted (as Mailpit)."""
    headers: dict[str, list[str]] = {}
    for name, value in store.parsed(resolve(store, id)).headers:
        headers.setdefault(name, []).append(value)
    return dict(sorted(headers.items()))


@router.get(
    "/message/{ID}/raw",
    summary="Get the message source",
    response_class=Response,
    responses=ERRORS,
)
def get_raw(id: MessageID, store: StoreDep, dl: str = "") -> Response:
    """Return the message byte-exact as received, as ``text/plain``; ``?dl=1`` downloads it."""
    message_id = resolve(store, id)
    headers = {"content-type": "text/plain; charset=utf-8", "content-security-policy": "sandbox"}
    if dl == "1":
        headers["content-disposition"] = f'attachment; filename="{message_id}.eml"'
    return Response(store.raw(message_id), headers=headers)


@router.get(
    "/message/{ID}/part/{PartID}",
    summary="Download a part",
    response_class=Response,
    responses=ERRORS,
)
def get_part(id: MessageID, part_id: PartID, store: StoreDep) -> Response:
    """Return one part's decoded payload as a download that no browser will run."""
    message_id = resolve(store, id)
    if not _PART_ID.fullmatch(part_id):
        raise MessageNotFound(f"message {message_id} has no part {part_id!r}")
    part, pieces = store.part_chunks(message_id, part_id)
    media_type = part.content_type.lower()
    if not _MEDIA_TYPE.fullmatch(media_type):
        media_type = "application/octet-stream"
    headers = {
        "content-type": media_type,
        "content-disposition": attachment_disposition(part.filename, part_id, media_type),
        "content-security-policy": "sandbox",
    }
    if part.size < STREAM_FROM:
        return Response(b"".join(pieces), headers=headers)
    # A large part goes out a MiB at a time as it is decoded, never held whole.
    headers["content-length"] = str(part.size)
    return StreamingResponse(pieces, headers=headers, media_type=media_type)


def attachment_disposition(filename: str, part_id: str, media_type: str) -> str:
    """Return a ``Content-Disposition: attachment`` whose name cannot be a path (RFC 6266).

    Only the last path segment of the sender's name is kept, without control
    characters; ``filename`` carries an ASCII stand-in and ``filename*`` the
    name itself, percent-encoded in UTF-8.
    """
    name = _CONTROL.sub("", re.split(r"[/\\]", filename)[-1]).strip()
    if name in ("", ".", ".."):
        name = f"part-{part_id}{mimetypes.guess_extension(media_type) or '.bin'}"
    fallback = re.sub(r'[^\x20-\x7e]|["\\%]', "_", name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
