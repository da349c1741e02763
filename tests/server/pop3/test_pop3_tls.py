"""POP3 over TLS: STLS (RFC 2595) on a plain port, and POP3S, with a certificate made here."""

from __future__ import annotations

import contextlib
import poplib
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from pochta.exceptions import ConfigurationError
from pochta.server.pop3.settings import POP3Settings
from pochta.store import Store, open_store
from tests.server.memory_tls import MemoryTLSClient
from tests.server.pop3.pop3_harness import RunningPOP3, add_messages, serve_pop3


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    with open_store(tmp_path_factory.mktemp("pop3") / "mail.db") as opened:
        add_messages(opened, 2)
        yield opened


@pytest.fixture(scope="module")
def stls(store: Store, server_context: ssl.SSLContext) -> Iterator[RunningPOP3]:
    with serve_pop3(store, POP3Settings(tls_context=server_context, stls=True)) as running:
        yield running


def test_stls_is_offered_and_logins_wait_for_it(
    stls: RunningPOP3, client_context: ssl.SSLContext
) -> None:
    client = stls.pop3()
    assert "STLS" in client.capa() and "USER" not in client.capa()
    with pytest.raises(poplib.error_proto, match=r"\[AUTH\] .* send STLS first"):
        client.user("alice")
    assert client.stls(client_context) == b"+OK begin TLS negotiation"
    assert "STLS" not in client.capa() and "USER" in client.capa()
    client.user("alice")
    client.pass_("secret")
    assert client.retr(2)[1] == [b"Subject: m0", b"", b"hello 0"]
    assert client.quit().startswith(b"+OK")


def test_stls_twice_is_refused(stls: RunningPOP3, client_context: ssl.SSLContext) -> None:
    client = stls.pop3()
    client.stls(client_context)
    with pytest.raises(poplib.error_proto, match="-ERR TLS is already active"):
        client._shortcmd("STLS")  # type: ignore[attr-defined]  # client.stls() refuses to send it


def test_commands_sent_in_plain_text_with_stls_are_dropped(
    stls: RunningPOP3, client_context: ssl.SSLContext
) -> None:
    sock = stls.raw()
    # An attacker in the middle appends a command to the client's STLS.
    assert sock.send(b"STLS\r\nUSER mallory\r\n") == [b"+OK begin TLS negotiation\r\n"]
    sock.sock = client_context.wrap_socket(sock.sock, server_hostname="localhost")
    assert sock.send(b"PASS secret\r\n") == [b"-ERR send USER first\r\n"]


def test_a_failed_handshake_leaves_the_server_serving(stls: RunningPOP3) -> None:
    sock = stls.raw()
    sock.send(b"STLS\r\n")
    sock.sock.sendall(b"this is not a TLS ClientHello\r\n" * 10)
    with contextlib.suppress(ConnectionResetError):
        while sock.sock.recv(100):  # at most a TLS alert, then the server hangs up
            pass
    assert stls.pop3().getwelcome().startswith(b"+OK")


def test_pop3s_speaks_tls_from_the_first_byte(
    store: Store, server_context: ssl.SSLContext, client_context: ssl.SSLContext
) -> None:
    with serve_pop3(store, POP3Settings(tls_context=server_context)) as running:
        assert running.server.scheme == "pop3s"
        client = running.pop3(tls=client_context)
        assert "STLS" not in client.capa()
        client.user("alice")
        client.pass_("secret")
        assert client.stat() == (2, 48)
        client.quit()


def test_stls_without_a_certificate_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="stls needs a TLS context"):
        POP3Settings(stls=True)


def test_the_self_signed_pair_serves_stls(tmp_path: Path, store: Store) -> None:
    from pochta.server.tls import load_or_create_tls_context

    context = load_or_create_tls_context(None, None, tmp_path)
    with serve_pop3(store, POP3Settings(tls_context=context, stls=True)) as running:
        client = running.pop3()
        unchecked = ssl.create_default_context()
        unchecked.check_hostname = False
        unchecked.verify_mode = ssl.CERT_NONE
        assert client.stls(unchecked).startswith(b"+OK")


def test_a_command_sent_with_the_last_handshake_bytes_is_answered(stls: RunningPOP3) -> None:
    # As SMTP's STARTTLS: what the TLS layer decrypted before the server's own
    # STLS task resumed was dropped, so a busy machine lost the client's CAPA.
    client = stls.raw()
    assert client.send(b"STLS\r\n") == [b"+OK begin TLS negotiation\r\n"]
    assert isinstance(client.sock, socket.socket)
    tls = MemoryTLSClient(client.sock)
    tls.handshake_then_send(b"USER alice\r\n")
    assert tls.read_line() == b"+OK send PASS\r\n"
