"""Run pochta's SMTP server on a free port for a test, and talk to it over raw sockets.

The server runs on its own event loop in a background thread, so tests stay
plain synchronous functions that use ``socket`` and ``smtplib`` like a real
client. ``Recorder`` is a real ``Deliver`` callable (the contract the store's
``aadd`` fulfils), keeping what it was given in memory.

Example::

    with serve() as server:
        client = RawClient(server.port)
        assert client.send(b"EHLO t\\r\\n")[0].startswith(b"250")
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from pochta.message.envelope import Envelope
from pochta.server.smtp.server import SMTPServer, SMTPSettings, start_smtp_server
from pochta.server.smtp.settings import Deliver

__all__ = ["RawClient", "Recorder", "RunningServer", "failing", "serve"]


class Recorder:
    """Keep every delivered message; optionally fail or wait before answering."""

    def __init__(self, *, fail: BaseException | None = None) -> None:
        self.messages: list[tuple[bytes, Envelope]] = []
        self.fail = fail
        self.gate: asyncio.Event | None = None  # set from the server loop to hold deliveries

    async def __call__(self, raw: bytes, envelope: Envelope) -> str:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        self.messages.append((raw, envelope))
        return f"id{len(self.messages)}"

    @property
    def raws(self) -> list[bytes]:
        """The stored bytes, in order."""
        return [raw for raw, _ in self.messages]


@dataclasses.dataclass
class RunningServer:
    """A server running on a background loop."""

    server: SMTPServer
    loop: asyncio.AbstractEventLoop
    deliver: Deliver
    clients: list[RawClient] = dataclasses.field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port

    def call(self, work: Callable[..., Awaitable[Any]], *args: Any) -> Any:
        """Run a coroutine function on the server's loop and return its result."""

        async def run() -> Any:
            return await work(*args)

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(timeout=60)

    def connect(self, **kwargs: Any) -> RawClient:
        """Open a raw client; it is closed when the server stops."""
        client = RawClient(self.port, **kwargs)
        self.clients.append(client)
        return client


@contextlib.contextmanager
def serve(
    settings: SMTPSettings | None = None, deliver: Deliver | None = None
) -> Iterator[RunningServer]:
    """Run a server on 127.0.0.1 port 0 for the duration of the ``with`` block."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    recorder = deliver or Recorder()
    try:
        server = asyncio.run_coroutine_threadsafe(
            start_smtp_server(recorder, settings or SMTPSettings(), host="127.0.0.1", port=0),
            loop,
        ).result(timeout=30)
        running = RunningServer(server, loop, recorder)
        try:
            yield running
        finally:
            for client in running.clients:
                client.close()
            running.call(lambda: server.aclose(grace=2.0))
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


class RawClient:
    """A socket that sends exact bytes and reads whole SMTP replies."""

    def __init__(self, port: int, *, greet: bool = True) -> None:
        self.sock: socket.socket | ssl.SSLSocket = socket.create_connection(
            ("127.0.0.1", port), timeout=30
        )
        self._pending = b""
        self.greeting = self.replies(1)[0] if greet else b""

    def send(self, data: bytes, replies: int = 1) -> list[bytes]:
        """Send ``data`` and return the next ``replies`` complete replies."""
        self.sock.sendall(data)
        return self.replies(replies)

    def replies(self, count: int) -> list[bytes]:
        """Read ``count`` complete replies (multi-line ones joined, CRLFs kept)."""
        found: list[bytes] = []
        current = b""
        while len(found) < count:
            line = self._line()
            current += line
            if line[3:4] != b"-":
                found.append(current)
                current = b""
        return found

    def codes(self, data: bytes, replies: int = 1) -> list[int]:
        """Send ``data`` and return the codes of the next ``replies`` replies."""
        return [int(reply[:3]) for reply in self.send(data, replies)]

    def read_all(self) -> bytes:
        """Read until the server closes the connection."""
        data = self._pending
        self._pending = b""
        while chunk := self.sock.recv(65536):
            data += chunk
        return data

    def start_tls(self) -> None:
        """Wrap the socket in TLS (without checking the server's certificate)."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        self.sock = context.wrap_socket(self.sock, server_hostname="localhost")

    def close(self) -> None:
        self.sock.close()

    def _line(self) -> bytes:
        while b"\r\n" not in self._pending:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"server closed; unread: {self._pending!r}")
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\r\n")
        return line + b"\r\n"


def failing(error: BaseException) -> Recorder:
    """A deliver callable that always raises ``error`` (a full or broken store)."""
    return Recorder(fail=error)
