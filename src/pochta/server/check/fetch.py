"""One HTTP request to a link from a message, refused at connection time if it is internal.

:class:`GuardedBackend` is an httpcore network backend: every TCP connection
(the first and each redirect's) resolves the host itself, refuses when any
address it resolves to is internal (:func:`~pochta.server.check.address.is_internal`),
and then connects to one of the addresses it checked, never to a name. So a
name that answers a public address to the check and a private one a moment
later (DNS rebinding) gains nothing: no second lookup happens. TLS still
verifies the certificate against the name in the URL.

:func:`probe` sends ``HEAD`` (``GET`` when a server refuses ``HEAD``, without
reading its body) and follows up to :data:`MAX_REDIRECTS` redirects when
asked, each one connected through the same guard.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from ipaddress import IPv4Address, IPv6Address
from typing import Any

import anyio
import httpcore
import httpx

from pochta import __version__
from pochta.server.check.address import is_internal

__all__ = [
    "BLOCKED_STATUS",
    "MAX_REDIRECTS",
    "BlockedAddress",
    "GuardedBackend",
    "Probe",
    "probe",
    "status_text",
]

#: Mailpit's answer for a link to an internal address: status and text.
BLOCKED_STATUS = (451, "Blocked private/reserved address")
#: Redirects followed at most with ``follow=true`` (Mailpit's number).
MAX_REDIRECTS = 3
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_TIMEOUTS = {"connect": 5.0, "read": 10.0, "write": 10.0, "pool": 10.0}
_USER_AGENT = f"pochta/{__version__} link check"


class BlockedAddress(Exception):
    """A link resolved to an internal address and internal requests are not allowed."""


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check every address, then connect to a checked address (see the module).

    ``refuse`` tells which addresses are refused (:func:`is_internal` unless
    ``allow_internal``); tests give a narrower one.
    """

    def __init__(
        self,
        *,
        allow_internal: bool = False,
        refuse: Callable[[IPv4Address | IPv6Address], bool] = is_internal,
    ) -> None:
        self.allow_internal = allow_internal
        self.refuse = refuse
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Connect to ``host`` through an address that passed the check."""
        with anyio.fail_after(timeout):
            infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "no such host")
        if not self.allow_internal:
            for address in addresses:
                if self.refuse(ipaddress.ip_address(address)):
                    raise BlockedAddress(f"{host} is {address}, an internal address")
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as failed:
                error = failed
        assert error is not None
        raise error

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        """Refuse: links never name Unix sockets."""
        raise BlockedAddress("links cannot name Unix sockets")

    async def sleep(self, seconds: float) -> None:
        """Sleep as the underlying backend does."""
        await self._inner.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Probe:
    """What one link answered: Mailpit's ``StatusCode`` and ``Status`` (0 and a reason)."""

    code: int
    status: str


def status_text(code: int) -> str:
    """Return the reason phrase of an HTTP status, as Go's ``http.StatusText``."""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


async def probe(pool: httpcore.AsyncConnectionPool, url: str, *, follow: bool) -> Probe:
    """Ask ``url`` with HEAD (then GET), following redirects if ``follow``; never raises."""
    try:
        for _ in range(MAX_REDIRECTS + 1):
            target = httpx.URL(url)
            if target.scheme not in ("http", "https") or not target.host:
                return Probe(0, "unsupported protocol scheme; links are checked over http(s)")
            code, location = await _ask(pool, target)
            if not (follow and code in _REDIRECTS and location):
                return Probe(code, status_text(code))
            url = str(target.join(location))
        return Probe(0, "too many redirects")
    except Exception as error:  # each kind of failure becomes Mailpit's "0 and a reason"
        return _failure(error)


async def _ask(pool: httpcore.AsyncConnectionPool, url: httpx.URL) -> tuple[int, str]:
    headers = [(b"User-Agent", _USER_AGENT.encode()), (b"Accept", b"*/*")]
    target = httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )
    extensions = {"timeout": _TIMEOUTS}
    try:
        response = await pool.request("HEAD", target, headers=headers, extensions=extensions)
        code = response.status
    except httpcore.RemoteProtocolError:
        code = 405  # a server that hangs up on HEAD: ask again with GET
    if code in (405, 501):
        async with pool.stream("GET", target, headers=headers, extensions=extensions) as answer:
            response = answer  # the body is never read
    location = dict((k.lower(), v) for k, v in response.headers).get(b"location", b"")
    return response.status, location.decode("latin-1")


def _failure(error: BaseException) -> Probe:
    cause: BaseException | None = error
    while cause is not None:  # httpcore wraps the OSError it saw
        if isinstance(cause, BlockedAddress):
            return Probe(*BLOCKED_STATUS)
        if isinstance(cause, socket.gaierror):
            return Probe(0, "no such host")
        if isinstance(cause, ConnectionRefusedError):
            return Probe(0, "connection refused")
        if isinstance(cause, ssl.SSLCertVerificationError):
            return Probe(0, f"certificate not trusted: {cause.verify_message}")
        cause = cause.__cause__ or cause.__context__
    if isinstance(error, (TimeoutError, httpcore.TimeoutException)):
        return Probe(0, "timed out")
    if isinstance(error, httpx.InvalidURL):
        return Probe(0, f"invalid URL: {error}")
    text = str(error) or type(error).__name__
    return Probe(0, text.rsplit(": ", 1)[-1])
