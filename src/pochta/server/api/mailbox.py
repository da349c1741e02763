"""Every mailbox at its own base URL: ``/mailbox/NAME/`` serves the whole API and inbox.

:class:`MailboxPrefix` (ASGI middleware, outermost) reads a request for
``/mailbox/NAME/rest`` as a request for ``/rest`` with ``root_path``
``/mailbox/NAME`` and the mailbox noted in the request's state; every route
then gets that mailbox's view of the store
(:func:`~pochta.server.api.dependency.get_store`), so any
Mailpit client works on one mailbox when only its base URL is changed. A
request without the prefix is the default mailbox's. ``GET
/api/v1/mailboxes`` (a pochta extension) lists them all.

"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.types import ASGIApp, Receive, Scope, Send

from pochta.server.api.dependency import (
    MAILBOX_KEY,
    PREFIX,
    WEBROOT_KEY,
    mailbox_url,
    visible_mailboxes,
)
from pochta.server.api.model import ERRORS
from pochta.store.mailbox import is_mailbox_name

__all__ = ["Mailbox", "MailboxPrefix", "router"]

_PATH = re.compile(r"/mailbox/([^/]+)(/.*)?\Z", re.DOTALL)

router = APIRouter(prefix="/api/v1", tags=["mailboxes"])


class Mailbox(BaseModel):
    """One mailbox in ``GET /api/v1/mailboxes``."""

    Name: str
    Total: int
    Unread: int
    URL: str


class MailboxPrefix:
    """ASGI middleware that serves the app under ``/mailbox/NAME/`` for each mailbox NAME.

    As :class:`~pochta.server.api.webroot.WebRoot` does for ``--webroot``, the
    prefix leaves ``path`` for ``root_path``; the root before it (the
    webroot's) is kept under :data:`~pochta.server.api.dependency.WEBROOT_KEY`,
    for links to the other mailboxes.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        match = _PATH.match(scope["path"])
        if match is None:
            await self.app(scope, receive, send)
            return
        name, rest = match.group(1), match.group(2)
        root = str(scope.get("root_path", ""))
        if not is_mailbox_name(name):
            await _refuse(
                scope,
                send,
                404,
                f"no mailbox {name!r}: a mailbox name is lower-case letters, digits, "
                "'.', '_', '-', '+' or '@'",
            )
            return
        if rest is None:  # /mailbox/ci -> /mailbox/ci/, as a directory
            await _refuse(scope, send, 308, "", location=f"{root}{scope['path']}/")
            return
        prefix = f"{PREFIX}{name}"
        raw = scope.get("raw_path") or scope["path"].encode()
        inner = {
            **scope,
            "path": rest,
            "raw_path": raw[len(prefix) :] if raw.startswith(prefix.encode()) else raw,
            "root_path": root + prefix,
            MAILBOX_KEY: name,
            WEBROOT_KEY: root,
        }
        await self.app(inner, receive, send)


async def _refuse(scope: Scope, send: Send, status: int, text: str, location: str = "") -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})
        return
    body = b"" if status == 308 else json.dumps({"Error": text}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    if location:
        headers.append((b"location", location.encode("latin-1")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@router.get(
    "/mailboxes",
    summary="List the mailboxes (pochta extension)",
    response_model=None,
    responses={200: {"model": list[Mailbox]}, **ERRORS},
)
def list_mailboxes(request: Request) -> list[dict[str, Any]]:
    """Return every mailbox (the login may open) with its counts and base URL, default first."""
    return [
        {"Name": m.name, "Total": m.total, "Unread": m.unread, "URL": mailbox_url(m.name)}
        for m in visible_mailboxes(request)
    ]
