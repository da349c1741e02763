"""STARTTLS (RFC 3207), the plaintext-injection guard, and the self-signed certificate."""

from __future__ import annotations

import smtplib
import socket
import ssl
import stat
from pathlib import Path

import pytest
import trustme

from pochta.exceptions import ConfigurationError
from pochta.server.smtp.server import SMTPSettings
from pochta.server.tls import CERT_NAME, KEY_NAME, load_or_create_tls_context
from tests.server.memory_tls import MemoryTLSClient
from tests.server.smtp.smtp_harness import Recorder, serve


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory: pytest.TempPathFactory) -> ssl.SSLContext:
    return load_or_create_tls_context(None, None, tmp_path_factory.mktemp("state"))


def test_starttls_is_advertised_and_then_no_longer(tls_context: ssl.SSLContext) -> None:
    with serve(SMTPSettings(tls_context=tls_context)) as server:
        client = server.connect()
        assert b"250 STARTTLS\r\n" in client.send(b"EHLO c\r\n")[0]
        assert client.send(b"STARTTLS\r\n") == [b"220 2.0.0 Ready to start TLS\r\n"]
        client.start_tls()
        assert b"STARTTLS" not in client.send(b"EHLO c\r\n")[0]
        assert client.send(b"STARTTLS\r\n") == [b"503 5.5.1 TLS is already active\r\n"]


def test_plaintext_sent_with_starttls_is_discarded(tls_context: ssl.SSLContext) -> None:
    # CVE-2024-34083: commands in the same write as STARTTLS must not run after TLS
    with serve(SMTPSettings(tls_context=tls_context)) as server:
        client = server.connect()
        client.send(b"EHLO c\r\n")
        assert client.send(b"STARTTLS\r\nMAIL FROM:<x@y.z>\r\n") == [
            b"220 2.0.0 Ready to start TLS\r\n"
        ]
        client.start_tls()
        assert client.send(b"MAIL FROM:<x@y.z>\r\n") == [b"503 5.5.1 Send EHLO or HELO first\r\n"]


def test_session_state_is_forgotten_after_starttls(tls_context: ssl.SSLContext) -> None:
    recorder = Recorder()
    with serve(SMTPSettings(tls_context=tls_context), recorder) as server:
        client = server.connect()
        client.send(b"EHLO before\r\nMAIL FROM:<a@b.c>\r\n", 2)
        client.send(b"STARTTLS\r\n")
        client.start_tls()
        codes = client.codes(
            b"EHLO after\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nx\r\n.\r\n", 5
        )
        assert codes == [250, 250, 250, 354, 250]
    envelope = recorder.messages[0][1]
    assert (envelope.helo, envelope.tls) == ("after", True)


def test_smtplib_starttls_with_required_tls(tls_context: ssl.SSLContext) -> None:
    recorder = Recorder()
    settings = SMTPSettings(tls_context=tls_context, require_starttls=True)
    with serve(settings, recorder) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        smtp.ehlo()
        assert smtp.mail("a@b.c") == (530, b"5.7.0 Must issue a STARTTLS command first")
        smtp.rset()
        client_context = ssl.create_default_context()
        client_context.check_hostname = False
        client_context.verify_mode = ssl.CERT_NONE
        smtp.starttls(context=client_context)
        smtp.sendmail("a@b.c", ["d@e.f"], b"Subject: tls\r\n\r\nsecret\r\n")
    assert [(raw, env.tls) for raw, env in recorder.messages] == [
        (b"Subject: tls\r\n\r\nsecret\r\n", True)
    ]


def test_a_command_sent_with_the_last_handshake_bytes_is_answered(
    tls_context: ssl.SSLContext,
) -> None:
    # The server used to drop what the TLS layer decrypted before its own
    # STARTTLS task resumed: on a busy machine, smtplib's EHLO vanished.
    with serve(SMTPSettings(tls_context=tls_context)) as server:
        client = server.connect()
        client.send(b"EHLO c\r\n")
        assert client.send(b"STARTTLS\r\n") == [b"220 2.0.0 Ready to start TLS\r\n"]
        assert isinstance(client.sock, socket.socket)
        tls = MemoryTLSClient(client.sock)
        tls.handshake_then_send(b"NOOP\r\n")
        assert tls.read_line() == b"250 2.0.0 OK\r\n"


def test_a_failed_handshake_closes_only_that_session(tls_context: ssl.SSLContext) -> None:
    with serve(SMTPSettings(tls_context=tls_context)) as server:
        client = server.connect()
        client.send(b"STARTTLS\r\n")
        client.sock.sendall(b"this is not a TLS client hello\r\n" * 10)
        assert client.read_all() == b""
        assert server.connect().send(b"NOOP\r\n") == [b"250 2.0.0 OK\r\n"]


def test_starttls_without_a_context_is_not_available() -> None:
    with serve() as server:
        assert server.connect().send(b"STARTTLS\r\n") == [b"454 4.7.0 TLS not available\r\n"]


def test_the_self_signed_pair_is_made_once_and_reused(tmp_path: Path) -> None:
    load_or_create_tls_context(None, None, tmp_path)
    first = (tmp_path / CERT_NAME).read_bytes()
    load_or_create_tls_context(None, None, tmp_path)
    assert (tmp_path / CERT_NAME).read_bytes() == first
    assert stat.S_IMODE((tmp_path / KEY_NAME).stat().st_mode) == 0o600


def test_a_given_certificate_is_served(tmp_path: Path) -> None:
    authority = trustme.CA()
    issued = authority.issue_cert("localhost")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    issued.cert_chain_pems[0].write_to_path(cert)
    issued.private_key_pem.write_to_path(key)
    context = load_or_create_tls_context(cert, key, tmp_path / "unused")
    client_context = ssl.create_default_context()
    authority.configure_trust(client_context)
    with (
        serve(SMTPSettings(tls_context=context)) as server,
        smtplib.SMTP("localhost", server.port) as smtp,
    ):
        assert smtp.starttls(context=client_context)[0] == 220
        assert smtp.noop()[0] == 250
    assert not (tmp_path / "unused").exists()


@pytest.mark.parametrize("which", ["cert only", "missing files"])
def test_bad_tls_files_are_a_configuration_error(tmp_path: Path, which: str) -> None:
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    with pytest.raises(ConfigurationError, match="certificate"):
        load_or_create_tls_context(cert, None if which == "cert only" else key, tmp_path)


def test_require_starttls_needs_a_context() -> None:
    with pytest.raises(ConfigurationError, match="require_starttls"):
        SMTPSettings(require_starttls=True)
