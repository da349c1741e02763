"""A real SMTP peer for the smtp backend's tests: aiosmtpd on 127.0.0.1, recording."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class RecordingHandler:
    """An aiosmtpd handler that keeps every envelope it is given."""

    envelopes: list[Any] = field(default_factory=list)
    # The client address of each envelope's connection: one per connection used.
    peers: list[Any] = field(default_factory=list)
    busy: set[str] = field(default_factory=set)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        # A mailbox named "nobody" does not exist here, as on a real server.
        if address.startswith("nobody@"):
            return "550 5.1.1 No such user"
        # One named "busy" is refused for now the first time it is asked for (greylisting).
        if address.startswith("busy@") and address not in self.busy:
            self.busy.add(address)
            return "451 4.2.1 Mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"


@dataclass
class SMTPServer:
    """A running aiosmtpd server and what it received."""

    host: str
    port: int
    handler: RecordingHandler

    @property
    def envelopes(self) -> list[Any]:
        return self.handler.envelopes


def start_server(**kwargs: Any) -> tuple[Any, SMTPServer]:
    """Start an aiosmtpd Controller on 127.0.0.1 with ``kwargs``; return it and a view."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, SMTPServer("127.0.0.1", port, handler)
