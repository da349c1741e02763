"""Fixtures for pochta.mail: clean settings, a real aiosmtpd server, a test CA."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import pytest
import trustme

import pochta.mail
from pochta.mail import settings
from tests.mail.smtp_peer import SMTPServer, start_server


@pytest.fixture(autouse=True)
def clean_mail_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no configured settings, no EMAIL_*/MAILERS variables, no outbox."""
    for name in (*settings.DEFAULTS, "MAILERS"):
        monkeypatch.delenv(name, raising=False)
    settings.reset()
    if hasattr(pochta.mail, "outbox"):
        del pochta.mail.outbox
    yield
    settings.reset()
    if hasattr(pochta.mail, "outbox"):
        del pochta.mail.outbox


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
