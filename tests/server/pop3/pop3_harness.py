"""Run pochta's POP3 server over a real store on a free port, on a background event loop.

Tests stay plain synchronous functions that talk to it with :mod:`poplib`
or a raw socket, like a real client.

Example::

    with serve_pop3(store) as server:
        client = poplib.POP3("127.0.0.1", server.port)
"""

from __future__ import annotations

import asyncio
import contextlib
import poplib
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pochta.server.pop3.login import LoginGuard
from pochta.server.pop3.maildrop import MaildropFor, store_maildrops
from pochta.server.pop3.server import POP3Server, start_pop3_server
from pochta.server.pop3.settings import POP3Settings
from pochta.store import Envelope, Store

__all__ = ["RawPOP3", "RunningPOP3", "add_messages", "serve_pop3"]


@dataclass
class RunningPOP3:
    """A POP3 server running on a background loop."""

    server: POP3Server
    loop: asyncio.AbstractEventLoop
    clients: list[RawPOP3 | poplib.POP3] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port

    def raw(self, **kwargs: Any) -> RawPOP3:
        """Connect a raw client; it is closed when the server stops."""
        client = RawPOP3(self.port, **kwargs)
        self.clients.append(client)
        return client

    def pop3(self, *, tls: ssl.SSLContext | None = None) -> poplib.POP3:
        """Connect poplib (POP3_SSL with ``tls``); it is closed when the server stops."""
        client = (
            poplib.POP3_SSL("127.0.0.1", self.port, context=tls, timeout=30)
            if tls is not None
            else poplib.POP3("127.0.0.1", self.port, timeout=30)
        )
        self.clients.append(client)
        return client

    def login(self, user: str = "alice", password: str = "secret") -> poplib.POP3:
        """Connect poplib and log in with USER and PASS."""
        client = self.pop3()
        client.user(user)
        client.pass_(password)
        return client

    def close_server(self, grace: float = 2.0) -> None:
        """Shut the server down now (as ``pochta serve`` does on SIGTERM)."""
        asyncio.run_coroutine_threadsafe(self.server.aclose(grace=grace), self.loop).result(30)


@contextlib.contextmanager
def serve_pop3(
    store: Store,
    settings: POP3Settings | None = None,
    *,
    guard: LoginGuard | None = None,
    maildrops: MaildropFor | None = None,
) -> Iterator[RunningPOP3]:
    """Serve ``store`` over POP3 on 127.0.0.1 port 0 for the ``with`` block."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        started = start_pop3_server(
            maildrops or store_maildrops(store),
            settings or POP3Settings(),
            host="127.0.0.1",
            port=0,
            guard=guard,
        )
        server = asyncio.run_coroutine_threadsafe(started, loop).result(timeout=30)
        running = RunningPOP3(server, loop)
        try:
            yield running
        finally:
            for client in running.clients:
                client.close()
            running.close_server()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def add_messages(store: Store, count: int, *, body: bytes = b"hello") -> list[str]:
    """Store ``count`` small messages (subjects m0, m1, ...); return their ids, oldest first."""
    envelope = Envelope("app@example.com", ("user@example.com",))
    raws = [b"Subject: m%d\r\n\r\n%s %d\r\n" % (n, body, n) for n in range(count)]
    return [store.add(raw, envelope) for raw in raws]


class RawPOP3:
    """A socket that sends exact bytes and reads POP3 reply lines."""

    def __init__(
        self,
        port: int,
        *,
        tls: ssl.SSLContext | None = None,
        source: tuple[str, int] | None = None,
    ) -> None:
        address = ("127.0.0.1", port)
        sock = socket.create_connection(address, timeout=30, source_address=source)
        self.sock: socket.socket | ssl.SSLSocket = (
            tls.wrap_socket(sock, server_hostname="localhost") if tls else sock
        )
        self._pending = b""
        self.greeting = self.line()

    def send(self, data: bytes, lines: int = 1) -> list[bytes]:
        """Send ``data`` and return the next ``lines`` lines (CRLF kept)."""
        self.sock.sendall(data)
        return [self.line() for _ in range(lines)]

    def line(self) -> bytes:
        """Read one line, CRLF kept."""
        while b"\r\n" not in self._pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"server closed; unread: {self._pending!r}")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\r\n")
        return line + b"\r\n"

    def read_all(self) -> bytes:
        """Read until the server closes the connection."""
        data, self._pending = self._pending, b""
        while chunk := self.sock.recv(65536):
            data += chunk
        return data

    def close(self) -> None:
        self.sock.close()
