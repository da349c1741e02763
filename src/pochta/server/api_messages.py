"""The message routes of the JSON API, with Mailpit's v1 paths, parameters and fields.

Every ``{id}`` also accepts ``latest`` (the newest message). The routes are
plain functions, so FastAPI runs them on its thread pool and the store's
blocking calls never stall the event loop that also runs the SMTP server.
"""

from __future__ import annotations

import mimetypes
import re
from typing import Annotated, Any, TypeVar, cast
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, ValidationError

from pochta.exceptions import MessageNotFound, QueryError
from pochta.server.api_models import ERRORS, Message, MessagesSummary, documented
from pochta.server.api_query import TZ_HELP, matching_ids
from pochta.server.api_shapes import JSON, message_json, page_json
from pochta.store import Store

__all__ = [
    "IDsBody",
    "MessageID",
    "ReadBody",
    "StoreDep",
    "attachment_disposition",
    "body_schema",
    "get_store",
    "ids_body",
    "json_body",
    "read_body",
    "resolve",
    "router",
]

router = APIRouter(prefix="/api/v1", tags=["messages"])

# Ids are opaque, URL-safe tokens; anything else cannot name a message.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PART_ID = re.compile(r"\d{1,4}(\.\d{1,4}){0,31}")
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def get_store(request: Request) -> Store:
    """Return the store the app was built around (FastAPI dependency)."""
    return cast(Store, request.app.state.store)


#: A route parameter that receives the app's store.
StoreDep = Annotated[Store, Depends(get_store)]
# Mailpit's names for the path parameters (the OpenAPI document shows them).
MessageID = Annotated[str, Path(alias="ID", description='Message database ID or "latest"')]
PartID = Annotated[str, Path(alias="PartID", description="Attachment part ID")]
BodyT = TypeVar("BodyT", bound=BaseModel)


class IDsBody(BaseModel):
    """Body of ``DELETE /api/v1/messages``: the ids to delete; none means all."""

    IDs: list[str] = []


class ReadBody(BaseModel):
    """Body of ``PUT /api/v1/messages``: the read flag, on these ids, a search's, or all."""

    Read: bool = False
    IDs: list[str] = []
    Search: str = ""


async def json_body(request: Request, model: type[BodyT]) -> BodyT:
    """Read the request body as ``model``; 400 with the field that is wrong."""
    # Like Mailpit, read the body as JSON whatever its Content-Type says
    # (``curl -d`` sends form-urlencoded); an empty body means "no fields".
    raw = await request.body()
    try:
        return model.model_validate_json(raw) if raw.strip() else model()
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(x) for x in problem["loc"])
        field = f" field {where}" if where else ""
        raise HTTPException(400, f"request body{field}: {problem['msg']}") from None


async def ids_body(request: Request) -> IDsBody:
    """Read the body of ``DELETE /api/v1/messages`` (FastAPI dependency)."""
    return await json_body(request, IDsBody)


async def read_body(request: Request) -> ReadBody:
    """Read the body of ``PUT /api/v1/messages`` (FastAPI dependency)."""
    return await json_body(request, ReadBody)


def body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """Return ``openapi_extra`` that documents ``model`` as the JSON request body.

    Nested models are written out in place: pydantic's ``#/$defs/...``
    references would point nowhere inside the OpenAPI document.
    """
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return inline(defs[ref.removeprefix("#/$defs/")])
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(value) for value in node]
        return node

    return {"requestBody": {"content": {"application/json": {"schema": inline(schema)}}}}


def resolve(store: Store, id_or_latest: str) -> str:
    """Return the id ``id_or_latest`` names, or raise MessageNotFound (also for bad forms)."""
    if id_or_latest != "latest" and not _ID.fullmatch(id_or_latest):
        raise MessageNotFound(f"no message has the id {id_or_latest!r}")
    return store.resolve_id(id_or_latest)


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
    start: Annotated[int, Query(ge=0, description="Pagination offset")] = 0,
    limit: Annotated[int, Query(ge=1, le=10_000, description="Limit results")] = 50,
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
    parsed = store.parsed(message_id)
    payloads = {
        part.part_id: store.part(message_id, part.part_id)[1]
        for part in (*parsed.attachments, *parsed.inline)
    }
    answer = message_json(summary, parsed, payloads)
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
    part, payload = store.part(message_id, part_id)
    media_type = part.content_type.lower()
    if not _MEDIA_TYPE.fullmatch(media_type):
        media_type = "application/octet-stream"
    headers = {
        "content-type": media_type,
        "content-disposition": attachment_disposition(part.filename, part_id, media_type),
        "content-security-policy": "sandbox",
    }
    return Response(payload, headers=headers)


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
