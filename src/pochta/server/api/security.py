"""The guard in front of every HTTP route: Host, origin and body size.

A mail catcher on 127.0.0.1 is reachable by every web page the developer
opens, so the guard refuses what a browser would only send on an attacker's
behalf (the class of Mailpit's CVE-2026-22689 and MailDev's open APIs):

* a ``Host`` that is not ours (DNS rebinding: ``evil.example`` resolving to
  127.0.0.1) gets 421. Ours are ``localhost`` and ``*.localhost``, any IP
  literal (a rebinding attack needs a name it controls), and the names given
  with ``--allowed-host``;
* a state-changing request (POST, PUT, PATCH, DELETE) or a websocket whose
  ``Origin`` is not the origin of the ``Host`` it was sent to, or that a browser
  marks ``Sec-Fetch-Site: cross-site`` / ``same-site``, gets 403;
* a request body larger than the cap gets 413, whether or not it announced
  its ``Content-Length``. The cap is 1 MiB, except on the routes given their
  own (``POST /api/v1/send`` takes up to ``--max-message-size``).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["DEFAULT_BODY_LIMIT", "RequestGuard"]

#: The largest request body a JSON route accepts.
DEFAULT_BODY_LIMIT = 1024 * 1024

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]


def _split_host(host: str) -> str:
    """Return the host name of a ``Host`` header value, without port or brackets.

    A port that is not a number gives ``""`` (no host of ours).
    """
    if host.startswith("["):
        name, bracket, rest = host[1:].partition("]")
        port_ok = rest == "" or (rest[:1] == ":" and rest[1:].isdigit())
        return name if bracket and port_ok else ""
    if host.count(":") == 1:
        name, port = host.split(":")
        return name if port.isdigit() else ""
    return host


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


class RequestGuard:
    """ASGI middleware that applies the rules above to every request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str] = (),
        body_limit: int = DEFAULT_BODY_LIMIT,
        route_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.allowed_hosts = frozenset(h.lower().strip("[]") for h in allowed_hosts)
        self.body_limit = body_limit
        self.route_limits = dict(route_limits or {})

    def limit_of(self, scope: Scope) -> int:
        """Return the body cap of the route ``scope`` asks for."""
        return self.route_limits.get(scope.get("path", ""), self.body_limit)

    def host_allowed(self, host: str) -> bool:
        """Tell whether a ``Host`` header value names this server."""
        name = _split_host(host.strip()).lower().rstrip(".")
        if not name:
            return False
        if name == "localhost" or name.endswith(".localhost") or name in self.allowed_hosts:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str] | None:
        host = headers.get("host", "")
        if not self.host_allowed(host):
            return 421, (
                f"Host {host!r} is not this server's; open it as http://127.0.0.1 or "
                f"http://localhost, or start pochta serve with --allowed-host NAME"
            )
        unsafe = scope["type"] == "websocket" or scope.get("method", "GET") not in _SAFE_METHODS
        if not unsafe:
            return None
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return 403, "cross-site requests may not change the mailbox"
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            return 403, f"Origin {origin!r} may not change the mailbox served at {host!r}"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        refusal = self._refusal(scope, headers)
        if refusal is None and scope["type"] == "http":
            length = headers.get("content-length", "0")
            if not length.isdigit():
                refusal = 400, f"Content-Length {length!r} is not a number of bytes"
            elif int(length) > self.limit_of(scope):
                refusal = 413, f"request body is larger than {self.limit_of(scope)} bytes"
        if refusal is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            else:
                await _send_error(send, *refusal)
            return
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        await self._call_http(scope, receive, send)

    async def _call_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def secured_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *_SECURITY_HEADERS]}
            await send(message)

        headers = _headers(scope)
        if "content-length" not in headers and "transfer-encoding" not in headers:
            await self.app(scope, receive, secured_send)
            return
        # Read the whole (capped) body first, so an oversized one is refused
        # before any route sees it, announced length or not.
        body = bytearray()
        limit = self.limit_of(scope)
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > limit:
                await _send_error(send, 413, f"request body is larger than {limit} bytes")
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, secured_send)


async def _send_error(send: Send, status: int, text: str) -> None:
    """Answer with the API's one error shape, ``{"Error": text}``."""
    body = json.dumps({"Error": text}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *_SECURITY_HEADERS,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
