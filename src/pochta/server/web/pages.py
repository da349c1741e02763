"""The web inbox's routes: the list, one message and its views, the HTML frame, the assets.

=====================================  ==============================================
``GET /``                              the list (``?q=`` search, ``?start=`` paging)
``GET /message/{ID}``                  one message, its first view (HTML, else text)
``GET /message/{ID}/{view}``           ``html``, ``text``, ``headers``, ``raw``,
                                       ``attachments``, ``links``, or a check:
                                       ``link-check``, ``html-check``, ``spam``
``GET /message/{ID}/body.html``        the HTML body alone, for the sandboxed frame
                                       (``?remote=1`` lets remote images load)
``GET /static/{name}``                 the stylesheet and the script
=====================================  ==============================================

Every page carries the strict policy of :func:`~pochta.server.web.render.page_policy`.
Opening a message marks it read, as the API's ``GET /api/v1/message/{ID}`` does.
Downloads (``.eml``, parts) use the API's routes, which serve them so no browser runs them.
"""

from __future__ import annotations

import hashlib
import re
from importlib.resources import files
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from pochta.exceptions import MessageNotFound, StoreError
from pochta.server.api.dependency import (
    Start,
    StoreDep,
    get_features,
    mailbox_of,
    mailbox_url,
    resolve,
    visible_mailboxes,
    webroot_of,
)
from pochta.server.api.webroot import root_of
from pochta.server.check import get_checks
from pochta.server.web.check import CHECK_VIEWS, check_context, check_views, spam_label
from pochta.server.web.frame import (
    frame_document,
    frame_hint,
    frame_policy,
    has_remote_images,
    part_url,
)
from pochta.server.web.listing import list_page
from pochta.server.web.render import environment, page_policy

__all__ = ["VIEWS", "router"]

router = APIRouter(include_in_schema=False)

#: The views of one message, in tab order.
VIEWS = ("html", "text", "headers", "raw", "attachments", "links")
_LINK = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
_RAW_SHOWN = 2 * 1024 * 1024
_ENV = environment()
_STATIC = {
    name: files("pochta.server.web").joinpath("static", name).read_bytes()
    for name in ("inbox.css", "inbox.js")
}
_STATIC_TYPES = {"inbox.css": "text/css; charset=utf-8", "inbox.js": "text/javascript"}
_VERSIONS = {name: hashlib.sha256(data).hexdigest()[:12] for name, data in _STATIC.items()}


def _page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.update(request=request, versions=_VERSIONS, features=get_features(request))
    context.setdefault("root", root_of(request.scope))
    context.setdefault("chaos", getattr(request.app.state, "chaos", None))
    # root is --webroot and /mailbox/NAME: every link stays in the mailbox.
    context.update(mailbox=mailbox_of(request))
    context.setdefault("mailboxes", [])
    html = _ENV.get_template(template).render(context)
    headers = {"content-security-policy": page_policy(request.url.netloc)}
    return HTMLResponse(html, status_code=status, headers=headers)


def _opened_by_reader(request: Request) -> bool:
    # Only a page the reader opens here marks the message read: not an <img> or
    # a frame of another site (or of a message) pointing at this URL.
    site = request.headers.get("sec-fetch-site", "none")
    dest = request.headers.get("sec-fetch-dest", "document")
    return site in ("same-origin", "none") and dest == "document"


def _missing(request: Request, error: MessageNotFound) -> HTMLResponse:
    return _page(request, "missing.html", status=404, problem=str(error))


@router.get("/", response_class=HTMLResponse)
def inbox(
    request: Request,
    store: StoreDep,
    q: Annotated[str, Query(max_length=1000)] = "",
    start: Start = 0,
) -> HTMLResponse:
    """Answer the list: newest first, or what the search ``q`` matches."""
    try:
        listing = list_page(store, q, start)
    except StoreError as error:  # PostgreSQL away: say so, and look again in a while
        return _page(request, "unavailable.html", status=503, problem=str(error))
    return _page(
        request,
        "list.html",
        status=400 if listing.error else 200,
        listing=listing,
        mailboxes=other_mailboxes(request),
    )


def other_mailboxes(request: Request) -> list[tuple[str, str, int]]:
    """Return (name, URL, unread) of every mailbox when there are several, else nothing."""
    try:
        found = visible_mailboxes(request)
    except StoreError:
        return []
    if len(found) < 2:
        return []
    webroot = webroot_of(request)
    return [(m.name, mailbox_url(m.name, webroot), m.unread) for m in found]


@router.get("/message/{id}/body.html", response_class=HTMLResponse)
def message_frame(request: Request, id: str, store: StoreDep, remote: str = "") -> Response:
    """Answer a message's HTML body for the sandboxed frame, under its own strict policy."""
    try:
        message_id = resolve(store, id)
        parsed = store.parsed(message_id)
    except MessageNotFound:
        return Response("no such message", status_code=404, media_type="text/plain")
    root = root_of(request.scope)
    html = frame_document(parsed.html, message_id, parsed.parts, root=root)
    origin = f"{request.url.scheme}://{request.url.netloc}"
    policy = frame_policy(origin, message_id, remote=remote == "1", root=root)
    headers = {
        "content-security-policy": policy,
        "cache-control": "no-store",
    }
    return HTMLResponse(html, headers=headers)


@router.get("/message/{id}", response_class=HTMLResponse)
def message_page(request: Request, id: str, store: StoreDep) -> HTMLResponse:
    """Answer one message with its first view: the HTML body if it has one, else the text."""
    return message_view(request, id, "", store)


@router.get("/message/{id}/{view}", response_class=HTMLResponse)
def message_view(request: Request, id: str, view: str, store: StoreDep) -> HTMLResponse:
    """Answer one message with the headers summary, the view tabs and the chosen view."""
    try:
        message_id = resolve(store, id)
        summary = store.summary(message_id)
        parsed = store.parsed(message_id)
    except MessageNotFound as error:
        return _missing(request, error)
    view = view or ("html" if parsed.html else "text")
    views = VIEWS + check_views(request)
    if view not in views:
        return _missing(request, MessageNotFound(f"a message has no view {view!r}"))
    if not summary.read and _opened_by_reader(request):
        store.set_read([message_id], True)
    context: dict[str, Any] = {
        "unread": store.count()[1],
        "links": [link for link in parsed.links if _LINK.match(link)],
        "summary": summary,
        "parsed": parsed,
        "view": view,
        "views": views,
        "spam_label": spam_label(get_checks(request), message_id),
        "part_url": part_url,
        "remote": request.query_params.get("remote") == "1",
        "has_remote": bool(parsed.html) and has_remote_images(parsed.html),
        "frame_hint": frame_hint(parsed.html) if view == "html" and parsed.html else None,
    }
    if view in CHECK_VIEWS:
        context.update(check_context(request, view, message_id, parsed, store))
    if view == "raw":
        raw = store.raw(message_id)
        context["raw"] = raw[:_RAW_SHOWN].decode("utf-8", "replace")
        context["raw_cut"] = len(raw) > _RAW_SHOWN
    return _page(request, "message.html", **context)


@router.get("/static/{name}")
def static(name: str) -> Response:
    """Answer the inbox's stylesheet or script (versioned URLs, cached for a year)."""
    if name not in _STATIC:
        return Response("no such file", status_code=404, media_type="text/plain")
    headers = {"cache-control": "public, max-age=31536000, immutable"}
    return Response(_STATIC[name], media_type=_STATIC_TYPES[name], headers=headers)
