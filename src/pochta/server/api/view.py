"""``/view/{ID}.html`` and ``/view/{ID}.txt``: one body of a message, as a page.

Mailpit's routes for UI tests: ``.html`` answers the HTML body (404 when the
message has none) with each ``cid:`` image pointed at its part in the API;
``.txt`` answers the text body. ``{ID}`` may be ``latest``. As in Mailpit,
reading a message this way **marks it read**.

The HTML is mail from anyone, so it is served inert: a
``Content-Security-Policy`` sandbox (no scripts, no forms, no same-origin
access; links may open in a new tab), no remote images, fonts, frames or
requests (images only from the message's own parts and ``data:``), and
``Referrer-Policy: no-referrer``. ``?embed=1`` (as Mailpit) makes every link
open in a new tab without a referrer; Mailpit's height-reporting script is
not added, since the sandbox would not run it.

``/view/latest`` redirects to the newest message's page (``.html``, or
``.txt`` when it has no HTML; ``?query=`` picks the newest match), or to
``/`` when there is none.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from pochta.exceptions import MessageNotFound
from pochta.server.api.dependency import (
    QUERY_HELP,
    TZ_HELP,
    MessageID,
    StoreDep,
    resolve,
    time_zone,
)
from pochta.server.api.model import ERRORS
from pochta.server.api.webroot import root_of
from pochta.store import ParsedMessage, Store

__all__ = ["html_policy", "link_inline_images", "router"]

router = APIRouter(prefix="/view", tags=["testing"])


_HOST = re.compile(r"[A-Za-z0-9.\-]+(:\d+)?|\[[0-9A-Fa-f:.]+\](:\d+)?")
_LINK = re.compile(r"<a(?=[\s>])", re.IGNORECASE)


def html_policy(host: str, root: str = "") -> str:
    """Return the Content-Security-Policy of a message's HTML at ``host``, under ``root``."""
    parts = f" http://{host}{root}/api/v1/message/" if _HOST.fullmatch(host) else ""
    return (
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
        f"style-src 'unsafe-inline'; img-src data: cid:{parts}; font-src data:; "
        "form-action 'none'; frame-ancestors 'self'; base-uri 'none'"
    )


def link_inline_images(message_id: str, parsed: ParsedMessage, root: str = "") -> str:
    """Return the HTML with each ``cid:`` reference to a part turned into the part's URL."""
    html = parsed.html
    for part in (*parsed.inline, *parsed.attachments):
        if not part.content_id:
            continue
        pattern = re.compile(r"(?i)(=[\"']?)cid:" + re.escape(part.content_id) + r"(?=[\"'\s/>;])")
        url = f"{root}/api/v1/message/{message_id}/part/{part.part_id}"
        html = pattern.sub(rf"\g<1>{url}", html)  # url: id and part id, no backslash
    return html


def _read(store: Store, id: str) -> tuple[str, ParsedMessage]:
    message_id = resolve(store, id)
    parsed = store.parsed(message_id)
    if not store.summary(message_id).read:
        store.set_read([message_id], True)
    return message_id, parsed


@router.get("/latest", summary="Redirect to the newest message's page", response_class=Response)
def latest(
    request: Request,
    store: StoreDep,
    query: Annotated[str, Query(description=QUERY_HELP)] = "",
    tz: Annotated[str, Query(description=TZ_HELP)] = "",
) -> RedirectResponse:
    """Redirect to ``/view/{ID}.html`` (``.txt`` without HTML) of the newest (matching) message."""
    if query.strip():
        found = store.search(query.strip(), limit=1, tz=time_zone(tz)).messages
        newest = found[0].id if found else None
    else:
        try:
            newest = store.resolve_id("latest")
        except MessageNotFound:
            newest = None
    root = root_of(request.scope)
    if newest is None:
        return RedirectResponse(f"{root}/", status_code=302)
    suffix = "html" if store.parsed(newest).html else "txt"
    return RedirectResponse(f"{root}/view/{newest}.{suffix}", status_code=302)


@router.get(
    "/{ID}.html", summary="Render message HTML part", response_class=Response, responses=ERRORS
)
def view_html(
    id: MessageID,
    request: Request,
    store: StoreDep,
    embed: Annotated[str, Query(description="1: links open in a new tab")] = "",
) -> Response:
    """Answer the message's HTML, inert (see the module); 404 when it has none."""
    message_id, parsed = _read(store, id)
    if not parsed.html:
        raise MessageNotFound(f"message {message_id} has no HTML part; try /view/{id}.txt")
    html = link_inline_images(message_id, parsed, root_of(request.scope))
    if embed == "1":
        html = _LINK.sub('<a target="_blank" rel="noreferrer noopener"', html)
    host = request.headers.get("host", "")
    headers = {"content-security-policy": html_policy(host, root_of(request.scope))}
    return Response(html, media_type="text/html; charset=utf-8", headers=headers)


@router.get(
    "/{ID}.txt",
    summary="Render message text part",
    response_class=PlainTextResponse,
    responses=ERRORS,
)
def view_text(id: MessageID, store: StoreDep) -> PlainTextResponse:
    """Answer the message's text body (empty when it has none) as ``text/plain``."""
    _, parsed = _read(store, id)
    return PlainTextResponse(parsed.text, headers={"content-security-policy": "sandbox"})
