"""Binding the HTTP socket of ``pochta serve``, with errors that say what to change."""

from __future__ import annotations

import errno
import socket

from pochta.config import HostPort
from pochta.exceptions import ServeError

__all__ = ["bind", "bound"]


def bind(address: HostPort, *, what: str, flag: str) -> socket.socket:
    """Bind ``address`` now (uvicorn listens on it last), or raise :class:`ServeError`."""
    try:
        infos = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM)
        family, _, _, _, sockaddr = infos[0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as error:
        raise ServeError(
            f"cannot listen on {address} for {what}: {error.strerror or error}; "
            f"give {flag} with an address of this machine"
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted sockets inherit this: without it a keep-alive client waits
        # ~40 ms per request (uvicorn writes head and body apart; delayed ACK).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(sockaddr)  # uvicorn listens on it once SMTP listens (its backlog: 2048)
    except OSError as error:
        sock.close()
        hint = (
            f"stop the program using it, or give {flag} with another port (0 picks a free one)"
            if error.errno == errno.EADDRINUSE
            else f"give {flag} with an address of this machine"
        )
        raise ServeError(
            f"cannot listen on {address} for {what}: {error.strerror or error}; {hint}"
        ) from None
    sock.setblocking(False)
    return sock


def bound(sock: socket.socket) -> HostPort:
    """Return the address ``sock`` is bound to (the port chosen, for port 0)."""
    host, port = sock.getsockname()[:2]
    return HostPort(host, port)
