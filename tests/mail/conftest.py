"""Fixtures for pochta.mail: clean settings, a real aiosmtpd server, a test CA."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import trustme

import pochta.mail
from pochta.mail import settings


@pytest.fixture(autouse=True)
def clean_mail_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no configured settings, no EMAIL_* variables, no outbox."""
    for name in settings.DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    settings.reset()
    if hasattr(pochta.mail, "outbox"):
        del pochta.mail.outbox
    yield
    settings.reset()
    if hasattr(pochta.mail, "outbox"):
        del pochta.mail.outbox


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

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
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


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A plain SMTP server on 127.0.0.1 that records envelopes."""
    controller, server = start_server()
    yield server
    controller.stop()


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    """A certificate authority made for this test run."""
    return trustme.CA()


@pytest.fixture(scope="session")
def server_tls_context(ca: trustme.CA) -> ssl.SSLContext:
    """A server-side TLS context with a certificate for 127.0.0.1 and localhost."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="session")
def client_tls_context(ca: trustme.CA) -> ssl.SSLContext:
    """A client-side TLS context that trusts the test CA."""
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context
