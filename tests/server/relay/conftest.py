"""Real upstream SMTP servers for the relay tests: aiosmtpd on 127.0.0.1, plain, STARTTLS, AUTH.

Each server records what it was sent (``tests.mail.smtp_peer``) and refuses
the mailbox ``nobody@...`` with ``550 5.1.1``. The STARTTLS one has a
certificate from a trustme CA that the relay client trusts through
``SSL_CERT_FILE`` (how a user points OpenSSL at a private CA, too).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from tests.mail.smtp_peer import SMTPServer, start_server

USER, PASSWORD = "relay-user", "relay-secret"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    """Accept only USER and PASSWORD (aiosmtpd answers 535 otherwise)."""
    from aiosmtpd.smtp import AuthResult

    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)


@pytest.fixture(scope="session")
def relay_ca() -> trustme.CA:
    """A certificate authority made for this test session."""
    return trustme.CA()


@pytest.fixture
def trust_relay_ca(relay_ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make OpenSSL's default trust (what the relay client uses) the test CA."""
    bundle = tmp_path / "ca.pem"
    relay_ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))


@pytest.fixture
def upstream() -> Iterator[SMTPServer]:
    """A plain SMTP server without login."""
    controller, server = start_server()
    yield server
    server.envelopes.clear()
    controller.stop()


@pytest.fixture
def starttls_upstream(relay_ca: trustme.CA) -> Iterator[SMTPServer]:
    """An SMTP server that requires STARTTLS, then AUTH PLAIN or LOGIN."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    relay_ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    controller, server = start_server(
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_required=True,
    )
    yield server
    controller.stop()
