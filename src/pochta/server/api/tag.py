"""The tag routes of Mailpit's API v1: list, set on messages, rename, delete.

Tags also arrive on their own: from an ``X-Tags`` header (comma separated)
and from plus-addressing (``user+billing@example.com`` tags ``billing``);
the store adds those when a message is stored.

A tag in the path is URL-encoded (``/api/v1/tags/Tag%201``); it may hold a
``/`` (``%2F``). Renaming and deleting answer ``ok`` also when no message has
the tag, as Mailpit does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from pochta.exceptions import QueryError
from pochta.server.api.dependency import StoreDep, body_schema, json_body
from pochta.server.api.model import ERRORS

__all__ = ["RenameBody", "TagsBody", "router"]

router = APIRouter(prefix="/api/v1", tags=["tags"])

TagName = Annotated[str, Path(alias="Tag", description="The URL-encoded tag name")]


class TagsBody(BaseModel):
    """Body of ``PUT /api/v1/tags``: these tags replace the tags of these messages."""

    IDs: list[str] = []
    Tags: list[str] = []


class RenameBody(BaseModel):
    """Body of ``PUT /api/v1/tags/{Tag}``: the tag's new name."""

    Name: str = ""


async def _tags_body(request: Request) -> TagsBody:
    return await json_body(request, TagsBody)


async def _rename_body(request: Request) -> RenameBody:
    return await json_body(request, RenameBody)


def _ok() -> PlainTextResponse:
    return PlainTextResponse("ok")


@router.get("/tags", summary="Get all current tags")
def list_tags(store: StoreDep) -> list[str]:
    """Return every tag some message has, sorted."""
    return store.tags()


@router.put(
    "/tags",
    summary="Set message tags",
    responses=ERRORS,
    response_class=PlainTextResponse,
    openapi_extra=body_schema(TagsBody),
)
def set_tags(store: StoreDep, body: Annotated[TagsBody, Depends(_tags_body)]) -> PlainTextResponse:
    """Replace the tags of each message in ``IDs`` with ``Tags`` (empty removes them all)."""
    if body.IDs:
        store.set_tags(body.IDs, [tag.strip() for tag in body.Tags if tag.strip()])
    return _ok()


@router.put(
    "/tags/{Tag:path}",
    summary="Rename a tag",
    response_class=PlainTextResponse,
    openapi_extra=body_schema(RenameBody),
)
def rename_tag(
    tag: TagName, store: StoreDep, body: Annotated[RenameBody, Depends(_rename_body)]
) -> PlainTextResponse:
    """Rename ``Tag`` to ``Name`` on every message that has it."""
    name = body.Name.strip()
    if not name:
        raise QueryError('give the new name of the tag as {"Name": "..."}')
    store.rename_tag(tag, name)
    return _ok()


@router.delete("/tags/{Tag:path}", summary="Delete a tag", response_class=PlainTextResponse)
def delete_tag(tag: TagName, store: StoreDep) -> PlainTextResponse:
    """Take ``Tag`` off every message; the messages stay."""
    store.delete_tag(tag)
    return _ok()
