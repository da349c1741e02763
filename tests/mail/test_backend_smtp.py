"""The SMTP backend against a real aiosmtpd server on 127.0.0.1."""

from __future__ import annotations

import email
import email.policy
import smtplib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from pochta.exceptions import BadHeaderError, ConfigurationError
from pochta.mail import EmailMessage, EmailMultiAlternatives, configure, send_mail, send_mass_mail
from pochta.mail.backends import smtp
from tests.mail.smtp_peer import SMTPServer, free_port, start_server

USER, PASSWORD = "mailer", "s3cret"


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    # handled=False: let aiosmtpd answer 535 itself on failure.
    return AuthResult(success=ok, handled=False)


def backend(server: SMTPServer, **kwargs: Any) -> smtp.EmailBackend:
    return smtp.EmailBackend(host=server.host, port=server.port, timeout=5, **kwargs)


def received(server: SMTPServer) -> list[tuple[str, list[str], email.message.EmailMessage]]:
    return [
        (
            envelope.mail_from,
            envelope.rcpt_tos,
            # A mail store keeps LF line ends; parse as it would.
            email.message_from_bytes(
                envelope.original_content.replace(b"\r\n", b"\n"), policy=email.policy.default
            ),
        )
        for envelope in server.envelopes
    ]


@pytest.fixture
def auth_server() -> Iterator[SMTPServer]:
    controller, server = start_server(authenticator=authenticate, auth_require_tls=False)
    yield server
    controller.stop()


@pytest.fixture
def starttls_server(server_tls_context: ssl.SSLContext) -> Iterator[SMTPServer]:
    controller, server = start_server(
        tls_context=server_tls_context,
        require_starttls=True,
        authenticator=authenticate,
    )
    yield server
    controller.stop()


@pytest.fixture
def implicit_tls_server(server_tls_context: ssl.SSLContext) -> Iterator[SMTPServer]:
    controller, server = start_server(
        ssl_context=server_tls_context, authenticator=authenticate, auth_require_tls=False
    )
    yield server
    controller.stop()


@pytest.fixture
def silent_server() -> Iterator[tuple[str, int]]:
    """A socket that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept)
    thread.start()
    yield listener.getsockname()
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    listener.close()


def test_plain_smtp_delivers_envelope_and_bytes(smtp_server: SMTPServer) -> None:
    message = EmailMultiAlternatives(
        "Тема",
        "Текст письма",
        "Отправитель <from@example.com>",
        ["to@example.com"],
        cc=["cc@example.com"],
        bcc=["hidden@example.com"],
    )
    message.attach_alternative("<p>Текст</p>", "text/html")

    assert backend(smtp_server).send_messages([message]) == 1

    [(mail_from, rcpt_tos, parsed)] = received(smtp_server)
    assert "BODY=8BITMIME" in smtp_server.envelopes[0].mail_options
    assert (mail_from, rcpt_tos) == (
        "from@example.com",
        ["to@example.com", "cc@example.com", "hidden@example.com"],
    )
    assert (str(parsed["Subject"]), str(parsed["From"]), str(parsed["Cc"])) == (
        "Тема",
        "Отправитель <from@example.com>",
        "cc@example.com",
    )
    assert parsed["Bcc"] is None
    assert [p.get_content() for p in parsed.iter_parts()] == ["Текст письма\n", "<p>Текст</p>\n"]


def test_wire_bytes_use_crlf_and_dot_lines_survive(smtp_server: SMTPServer) -> None:
    body = "line one\n.\n..leading dots\nFrom the start\n"
    backend(smtp_server).send_messages([EmailMessage("s", body, "a@x.com", ["b@x.com"])])

    [envelope] = smtp_server.envelopes
    assert (
        b"\r\n\r\nline one\r\n.\r\n..leading dots\r\nFrom the start\r\n"
        in envelope.original_content
    )
    assert b"\n" not in envelope.original_content.replace(b"\r\n", b"")


def test_one_connection_for_a_whole_mass_mailing(smtp_server: SMTPServer) -> None:
    connection = backend(smtp_server)
    opened: list[bool | None] = []
    original_open = connection.open

    def counting_open() -> bool | None:
        result = original_open()
        opened.append(result)
        return result

    connection.open = counting_open  # type: ignore[method-assign]
    datatuple = [(f"n{i}", "body", "a@x.com", [f"r{i}@x.com"]) for i in range(5)]

    assert send_mass_mail(datatuple, connection=connection) == 5
    assert opened == [True]
    assert [rcpt for _, rcpt, _ in received(smtp_server)] == [[f"r{i}@x.com"] for i in range(5)]


def test_open_connection_is_reused_and_closed_by_with(smtp_server: SMTPServer) -> None:
    with backend(smtp_server) as connection:
        first = connection.connection
        connection.send_messages([EmailMessage("1", "b", "a@x.com", ["b@x.com"])])
        connection.send_messages([EmailMessage("2", "b", "a@x.com", ["b@x.com"])])
        assert connection.connection is first is not None
    assert connection.connection is None
    assert len(smtp_server.envelopes) == 2


def test_idna_domains_are_encoded_in_the_envelope(smtp_server: SMTPServer) -> None:
    backend(smtp_server).send_messages([EmailMessage("s", "b", "ivan@пример.рф", ["u@bücher.de"])])

    [(mail_from, rcpt_tos, parsed)] = received(smtp_server)
    assert (mail_from, rcpt_tos, str(parsed["To"])) == (
        "ivan@xn--e1afmkfd.xn--p1ai",
        ["u@xn--bcher-kva.de"],
        "u@xn--bcher-kva.de",
    )


@pytest.mark.parametrize(
    ("sender", "recipient"),
    [
        ("a@x.com\r\nRCPT TO:<victim@x.com>", "b@x.com"),
        ("a@x.com", "b@x.com>\r\nDATA"),
        ("a@x.com", "b@x.com\n"),
    ],
)
def test_command_injection_through_addresses_is_refused_before_connecting(
    sender: str, recipient: str
) -> None:
    # Nothing listens on this port: reaching the network would be a ConnectionRefusedError.
    connection = smtp.EmailBackend(host="127.0.0.1", port=free_port())
    message = EmailMessage("s", "b", sender, [recipient])

    with pytest.raises(BadHeaderError):
        connection.send_messages([message])
    assert connection.connection is None


def test_bad_header_sends_nothing(smtp_server: SMTPServer) -> None:
    messages = [
        EmailMessage("good", "b", "a@x.com", ["b@x.com"]),
        EmailMessage("=?UTF-8?Q?=0A?=Bcc: x@x.com", "b", "a@x.com", ["b@x.com"]),
    ]

    with pytest.raises(BadHeaderError):
        backend(smtp_server).send_messages(messages)
    assert smtp_server.envelopes == []


def test_login_then_send(auth_server: SMTPServer) -> None:
    sent = send_mail(
        "s",
        "b",
        "a@x.com",
        ["b@x.com"],
        connection=backend(auth_server, username=USER, password=PASSWORD),
    )

    assert sent == 1
    assert len(auth_server.envelopes) == 1


def test_wrong_password_raises_unless_fail_silently(auth_server: SMTPServer) -> None:
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])

    with pytest.raises(smtplib.SMTPAuthenticationError):
        backend(auth_server, username=USER, password="wrong").send_messages([message])
    quiet = backend(auth_server, username=USER, password="wrong", fail_silently=True)
    assert quiet.send_messages([message]) == 0
    assert auth_server.envelopes == []


def test_starttls_with_auth(
    starttls_server: SMTPServer, client_tls_context: ssl.SSLContext
) -> None:
    connection = backend(starttls_server, use_tls=True, username=USER, password=PASSWORD)
    connection.ssl_context = client_tls_context

    assert connection.send_messages([EmailMessage("tls", "b", "a@x.com", ["b@x.com"])]) == 1
    [(_, _, parsed)] = received(starttls_server)
    assert str(parsed["Subject"]) == "tls"


def test_starttls_refuses_an_untrusted_certificate(starttls_server: SMTPServer) -> None:
    connection = backend(starttls_server, use_tls=True)

    with pytest.raises(ssl.SSLCertVerificationError):
        connection.send_messages([EmailMessage("s", "b", "a@x.com", ["b@x.com"])])
    assert starttls_server.envelopes == []


def test_implicit_tls_with_auth(
    implicit_tls_server: SMTPServer, client_tls_context: ssl.SSLContext
) -> None:
    configure(EMAIL_USE_SSL=True, EMAIL_HOST_USER=USER, EMAIL_HOST_PASSWORD=PASSWORD)
    connection = backend(implicit_tls_server)
    connection.ssl_context = client_tls_context

    assert connection.connection_class is smtplib.SMTP_SSL
    assert connection.send_messages([EmailMessage("ssl", "b", "a@x.com", ["b@x.com"])]) == 1
    assert [str(m["Subject"]) for _, _, m in received(implicit_tls_server)] == ["ssl"]


def test_connection_refused_raises_unless_fail_silently() -> None:
    port = free_port()
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])

    with pytest.raises(ConnectionRefusedError):
        smtp.EmailBackend(host="127.0.0.1", port=port).send_messages([message])
    quiet = smtp.EmailBackend(host="127.0.0.1", port=port, fail_silently=True)
    assert quiet.send_messages([message]) == 0
    assert send_mail("s", "b", "a@x.com", ["b@x.com"], fail_silently=True, connection=quiet) == 0


def test_silent_server_times_out_unless_fail_silently(silent_server: tuple[str, int]) -> None:
    host, port = silent_server
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])

    # smtplib reports the timeout as a dropped connection.
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        smtp.EmailBackend(host=host, port=port, timeout=0.3).send_messages([message])
    quiet = smtp.EmailBackend(host=host, port=port, timeout=0.3, fail_silently=True)
    assert quiet.send_messages([message]) == 0


def test_use_tls_with_use_ssl_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as error:
        smtp.EmailBackend(use_tls=True, use_ssl=True)
    assert str(error.value) == (
        "EMAIL_USE_TLS/EMAIL_USE_SSL are mutually exclusive, so only set one of those "
        "settings to True."
    )
    assert isinstance(error.value, ValueError)


def test_settings_fill_unset_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_HOST", "mail.example.com")
    monkeypatch.setenv("EMAIL_PORT", "587")
    monkeypatch.setenv("EMAIL_USE_TLS", "true")
    monkeypatch.setenv("EMAIL_HOST_USER", "env-user")
    monkeypatch.setenv("EMAIL_TIMEOUT", "7.5")
    configure(EMAIL_HOST_PASSWORD="configured")

    connection = smtp.EmailBackend()

    assert (
        connection.host,
        connection.port,
        connection.use_tls,
        connection.use_ssl,
        connection.username,
        connection.password,
        connection.timeout,
    ) == ("mail.example.com", 587, True, False, "env-user", "configured", 7.5)


def test_empty_batch_and_no_recipients_return_zero_without_connecting() -> None:
    connection = smtp.EmailBackend(host="127.0.0.1", port=free_port())

    assert connection.send_messages([]) == 0
    assert connection.send_messages([EmailMessage("s", "b", "a@x.com", [])]) == 0


def test_refused_recipient_raises_unless_fail_silently(smtp_server: SMTPServer) -> None:
    messages = [
        EmailMessage("kept", "b", "a@x.com", ["b@x.com"]),
        EmailMessage("refused", "b", "a@x.com", ["nobody@x.com"]),
        EmailMessage("kept too", "b", "a@x.com", ["c@x.com", "nobody@x.com"]),
    ]

    with pytest.raises(smtplib.SMTPRecipientsRefused):
        backend(smtp_server).send_messages(messages)
    assert backend(smtp_server, fail_silently=True).send_messages(messages) == 2
    assert [(str(m["Subject"]), rcpt) for _, rcpt, m in received(smtp_server)] == [
        ("kept", ["b@x.com"]),
        ("kept", ["b@x.com"]),
        ("kept too", ["c@x.com"]),
    ]


def test_client_certificate_from_settings_is_presented(
    ca: trustme.CA, server_tls_context: ssl.SSLContext, tmp_path: Path
) -> None:
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca.configure_trust(server_context)
    server_context.verify_mode = ssl.CERT_REQUIRED
    controller, server = start_server(tls_context=server_context, require_starttls=True)
    client = ca.issue_cert("client.example.com")
    client.cert_chain_pems[0].write_to_path(str(tmp_path / "client.pem"))
    client.private_key_pem.write_to_path(str(tmp_path / "client.key"))
    anonymous = backend(server, use_tls=True)  # made before the settings name a certificate
    ca.configure_trust(anonymous.ssl_context)
    configure(
        EMAIL_SSL_CERTFILE=str(tmp_path / "client.pem"),
        EMAIL_SSL_KEYFILE=str(tmp_path / "client.key"),
    )
    try:
        connection = backend(server, use_tls=True)
        ca.configure_trust(connection.ssl_context)
        sent = connection.send_messages([EmailMessage("cert", "b", "a@x.com", ["b@x.com"])])
        with pytest.raises((ssl.SSLError, smtplib.SMTPServerDisconnected)):
            anonymous.send_messages([EmailMessage("no cert", "b", "a@x.com", ["b@x.com"])])
    finally:
        controller.stop()

    assert sent == 1
    assert [str(m["Subject"]) for _, _, m in received(server)] == ["cert"]


@pytest.mark.parametrize(
    ("address", "error"),
    [
        ("josé@example.com", "local-part contains non-ASCII characters"),
        ("a@x.com, b@x.com", "must be a single address"),
        ("not an address <", "Invalid address"),
    ],
)
def test_unusable_envelope_addresses_are_value_errors(address: str, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        smtp.prep_address(address)


def test_envelope_addresses_keep_only_the_addr_spec() -> None:
    assert [smtp.prep_address(a) for a in ("Ann <ann@x.com>", "webmaster", '"a b"@x.com')] == [
        "ann@x.com",
        "webmaster",
        '"a b"@x.com',
    ]
