"""The login in front of the web side: HTTP Basic against htpasswd files, as Mailpit.

With ``--ui-auth-file`` every route wants a user of that file: the inbox, the
API, ``/api/events`` (the WebSocket), ``/metrics`` on the web port; only
``/livez`` and ``/readyz`` stay open, for health probes. A request without
the right credentials gets 401 with ``WWW-Authenticate: Basic realm="Login"``
(so a browser asks), a WebSocket is closed before its handshake completes.

``POST /api/v1/send`` follows Mailpit's rules: ``--send-api-auth-accept-any``
lets anyone send; ``--send-api-auth-file`` wants a user of that file instead
(the inbox's users are not asked); with neither it falls back to the inbox's.

With ``--ui-mailbox`` a login opens only the mailboxes granted to it
(:class:`~pochta.store.mailbox.MailboxGrants`): any other ``/mailbox/NAME/``
(or the root, the default mailbox) answers 403, and ``GET /api/v1/mailboxes``
lists only its own. The route sees the login under :data:`LOGIN_KEY`.

Failed logins are counted per client address: after :data:`MAX_FAILURES` in
:data:`FAILURE_WINDOW` seconds that address gets 429 with ``Retry-After``
until the window has passed, so a password cannot be guessed at speed.
A password that was right is remembered (by a keyed digest of the header,
for :data:`REMEMBER` seconds), so a browser sending it with every request
does not pay a bcrypt hash each time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

from pochta.server.api.scope import LOGIN_KEY, MAILBOX_KEY
from pochta.server.htpasswd import Htpasswd, load_htpasswd
from pochta.store.mailbox import DEFAULT_MAILBOX, MailboxGrants

__all__ = [
    "FAILURE_WINDOW",
    "LOGIN_KEY",
    "MAX_FAILURES",
    "REMEMBER",
    "Access",
    "Login",
    "access_from",
]

#: Failed logins one client address may make in :data:`FAILURE_WINDOW` seconds.
MAX_FAILURES = 5
#: Seconds over which failed logins are counted.
FAILURE_WINDOW = 60.0
#: Seconds a password found right is trusted without hashing it again.
REMEMBER = 300.0
_OPEN_PATHS = frozenset({"/livez", "/readyz"})
_SEND_PATH = "/api/v1/send"
_REALM = b'Basic realm="Login"'
_KEPT = 4096  # addresses and credentials remembered at most


@dataclass(frozen=True, slots=True)
class Access:
    """Who may use the web side: the inbox's users and those of ``POST /api/v1/send``."""

    ui: Htpasswd | None = None
    send: Htpasswd | None = None
    send_accept_any: bool = False
    mailboxes: MailboxGrants = field(default_factory=MailboxGrants)

    @property
    def locked(self) -> bool:
        """Tell whether any route asks for a login."""
        return self.ui is not None or self.send is not None


class _Bounded(OrderedDict[bytes, float]):
    """An insertion-ordered dict that forgets its oldest keys past :data:`_KEPT`."""

    def put(self, key: bytes, value: float) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > _KEPT:
            self.popitem(last=False)


class Login:
    """ASGI middleware that lets through only requests with a user of :class:`Access`."""

    def __init__(self, app: ASGIApp, *, access: Access) -> None:
        self.app = app
        self.access = access
        self._key = secrets.token_bytes(32)
        self._trusted = _Bounded()
        self._failures: dict[str, list[float]] = {}

    def _users_for(self, scope: Scope) -> Htpasswd | None:
        path = scope.get("path", "")
        if path in _OPEN_PATHS:
            return None
        if path == _SEND_PATH and scope["type"] == "http":
            if self.access.send_accept_any:
                return None
            return self.access.send or self.access.ui
        return self.access.ui

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        users = self._users_for(scope) if scope["type"] in ("http", "websocket") else None
        if users is None:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("?", 0))[0]
        header = _authorization(scope)
        wait = self._locked_out(client)
        if header and wait:
            await _refuse(scope, send, 429, _too_many(wait), [(b"retry-after", b"%d" % wait)])
            return
        if header and await self._verified(users, header):
            await self._let_in(scope, receive, send, header)
            return
        if header:
            self._failed(client)
        problem = (
            "wrong user or password; give one of the users of the password file"
            if header
            else "this pochta needs a login: give a user and password of its password file "
            "(HTTP Basic)"
        )
        await _refuse(scope, send, 401, problem, [(b"www-authenticate", _REALM)])

    async def _let_in(self, scope: Scope, receive: Receive, send: Send, header: bytes) -> None:
        """Pass a verified request on, if its login may open the mailbox it is for."""
        credentials = _basic_credentials(header)
        login = credentials[0] if credentials else None
        mailbox = str(scope.get(MAILBOX_KEY, DEFAULT_MAILBOX))
        if login is not None and not self.access.mailboxes.allows(login, mailbox):
            allowed = sorted(self.access.mailboxes.mailboxes_of(login) or ())
            where = ", ".join(f"/mailbox/{name}/" for name in allowed) or "none"
            problem = f"login {login!r} may not open mailbox {mailbox!r}; its mailboxes: {where}"
            await _refuse(scope, send, 403, problem, [])
            return
        await self.app({**scope, LOGIN_KEY: login}, receive, send)

    async def _verified(self, users: Htpasswd, header: bytes) -> bool:
        digest = hmac.new(self._key, header + str(id(users)).encode(), hashlib.sha256).digest()
        now = time.monotonic()
        if self._trusted.get(digest, 0.0) > now:
            return True
        credentials = _basic_credentials(header)
        if credentials is None:
            return False
        import anyio.to_thread  # here, not at import: SMTP starts before the HTTP side

        ok = await anyio.to_thread.run_sync(users.verify, *credentials)
        if ok:
            self._trusted.put(digest, now + REMEMBER)
        return ok

    def _locked_out(self, client: str) -> int:
        """Return the seconds ``client`` must wait before trying again (0: it may try)."""
        now = time.monotonic()
        recent = [t for t in self._failures.get(client, ()) if t > now - FAILURE_WINDOW]
        if recent:
            self._failures[client] = recent
        else:
            self._failures.pop(client, None)
        if len(recent) < MAX_FAILURES:
            return 0
        return max(1, int(recent[0] + FAILURE_WINDOW - now + 1))

    def _failed(self, client: str) -> None:
        self._failures.setdefault(client, []).append(time.monotonic())
        if len(self._failures) > _KEPT:  # forget the address heard from longest ago
            del self._failures[next(iter(self._failures))]


def _authorization(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name.lower() == b"authorization":
            return bytes(value)
    return b""


def _basic_credentials(header: bytes) -> tuple[str, str] | None:
    scheme, _, token = header.partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        text = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, colon, password = text.partition(":")
    return (user, password) if colon else None


def _too_many(wait: int) -> str:
    return (
        f"too many failed logins from this address; try again in {wait} s "
        f"with a user and password of the password file"
    )


async def _refuse(
    scope: Scope, send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]]
) -> None:
    if scope["type"] == "websocket":
        # Before the handshake: uvicorn answers 403 and no frame is ever sent.
        await send({"type": "websocket.close", "code": 1008})
        return
    body = json.dumps({"Error": text}).encode()
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"cache-control", b"no-store"),
        *headers,
    ]
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})


def access_from(
    ui_auth_file: Path | None,
    send_api_auth_file: Path | None,
    *,
    send_accept_any: bool,
    mailboxes: MailboxGrants | None = None,
) -> Access:
    """Read the password files ``pochta serve`` was given into an :class:`Access`.

    Raises :class:`~pochta.exceptions.ConfigurationError` naming the flag of a
    file that is missing, unreadable or holds no user.
    """
    ui = load_htpasswd(ui_auth_file, flag="--ui-auth-file") if ui_auth_file else None
    send = None
    if send_api_auth_file is not None:
        send = load_htpasswd(send_api_auth_file, flag="--send-api-auth-file")
    grants = mailboxes or MailboxGrants()
    return Access(ui=ui, send=send, send_accept_any=send_accept_any, mailboxes=grants)
