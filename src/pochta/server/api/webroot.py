"""``--webroot PATH``: every route under a path prefix, for a reverse proxy (as Mailpit).

With ``--webroot /mail/`` the inbox is at ``/mail/``, the API at
``/mail/api/v1/...``, the WebSocket at ``/mail/api/events``. The proxy passes
the full path; :class:`WebRoot` takes the prefix off before routing and puts
it in the ASGI ``root_path``, where the pages and their script read it to
write their links. ``/mail`` without its slash is redirected (302) to
``/mail/``; a path outside the prefix is a 404 that names it.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["WebRoot", "root_of"]


def root_of(scope: Scope) -> str:
    """Return the prefix a request came under (``""``, or ``/mail`` without the slash)."""
    return str(scope.get("root_path", ""))


class WebRoot:
    """ASGI middleware that serves ``app`` under ``root`` (normalised: ``/mail/``)."""

    def __init__(self, app: ASGIApp, *, root: str) -> None:
        self.app = app
        self.root = "/" + root.strip("/") if root.strip("/") else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(self.root + "/"):
            inner = path[len(self.root) :]
            raw = scope.get("raw_path") or path.encode()
            scope = {
                **scope,
                "path": inner,
                "raw_path": raw[len(self.root) :] if raw.startswith(self.root.encode()) else raw,
                "root_path": scope.get("root_path", "") + self.root,
            }
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        elif path == self.root:
            await _answer(send, 302, b"", [(b"location", (self.root + "/").encode())])
        else:
            text = f"{path!r} is outside --webroot {self.root}/; open {self.root}/"
            body = json.dumps({"Error": text}).encode()
            await _answer(send, 404, body, [(b"content-type", b"application/json")])


async def _answer(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    head = [*headers, (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
