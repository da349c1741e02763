"""The SMTP backend against a real aiosmtpd server on 127.0.0.1.

Backends are made as ``mailers`` makes them (with an alias, options only);
the tests marked LEGACY make them the Django 6.0 way, from ``EMAIL_*`` settings.
"""

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
LEGACY = pytest.mark.filterwarnings("ignore::pochta.mail.deprecation.RemovedInDjango2028Warning")


def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
    from aiosmtpd.smtp import AuthResult

    ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
    # handled=False: let aiosmtpd answer 535 itself on failure.
    return AuthResult(success=ok, handled=False)


def backend(server: SMTPServer, **kwargs: Any) -> smtp.EmailBackend:
    return smtp.EmailBackend(alias="smtp", host=server.host, port=server.port, timeout=5, **kwargs)


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


@LEGACY  # the connection argument
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
    connection = smtp.EmailBackend(alias="smtp", host="127.0.0.1", port=free_port())
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
    options = {"host": auth_server.host, "port": auth_server.port, "timeout": 5}
    configure(MAILERS={"auth": {"OPTIONS": {**options, "username": USER, "password": PASSWORD}}})

    sent = send_mail("s", "b", "a@x.com", ["b@x.com"], using="auth")

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
    connection = backend(implicit_tls_server, use_ssl=True, username=USER, password=PASSWORD)
    connection.ssl_context = client_tls_context

    assert connection.connection_class is smtplib.SMTP_SSL
    assert connection.send_messages([EmailMessage("ssl", "b", "a@x.com", ["b@x.com"])]) == 1
    assert [str(m["Subject"]) for _, _, m in received(implicit_tls_server)] == ["ssl"]


def test_connection_refused_raises_unless_fail_silently() -> None:
    port = free_port()
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])

    options = {"host": "127.0.0.1", "port": port}
    configure(
        MAILERS={
            "loud": {"OPTIONS": options},
            "quiet": {"OPTIONS": options | {"fail_silently": True}},
        }
    )

    with pytest.raises(ConnectionRefusedError):
        send_mail("s", "b", "a@x.com", ["b@x.com"], using="loud")
    assert send_mail("s", "b", "a@x.com", ["b@x.com"], using="quiet") == 0
    quiet = smtp.EmailBackend(alias="x", host="127.0.0.1", port=port, fail_silently=True)
    assert quiet.send_messages([message]) == 0


def test_silent_server_times_out_unless_fail_silently(silent_server: tuple[str, int]) -> None:
    host, port = silent_server
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])

    # smtplib reports the timeout as a dropped connection.
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        smtp.EmailBackend(alias="x", host=host, port=port, timeout=0.3).send_messages([message])
    quiet = smtp.EmailBackend(alias="x", host=host, port=port, timeout=0.3, fail_silently=True)
    assert quiet.send_messages([message]) == 0


@LEGACY
def test_use_tls_with_use_ssl_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError) as error:
        smtp.EmailBackend(use_tls=True, use_ssl=True)
    assert str(error.value) == (
        "EMAIL_USE_TLS/EMAIL_USE_SSL are mutually exclusive, so only set one of those "
        "settings to True."
    )
    assert isinstance(error.value, ValueError)


@LEGACY
def test_settings_fill_unset_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_HOST", "mail.example.com")
    monkeypatch.setenv("EMAIL_USE_TLS", "true")
    monkeypatch.setenv("EMAIL_HOST_USER", "env-user")
    monkeypatch.setenv("EMAIL_TIMEOUT", "7.5")
    configure(EMAIL_HOST_PASSWORD="configured", EMAIL_SSL_CERTFILE="c.pem", EMAIL_SSL_KEYFILE="k")

    connection = smtp.EmailBackend()

    assert (
        connection.host,
        connection.port,
        connection.use_tls,
        connection.use_ssl,
        connection.username,
        connection.password,
        connection.timeout,
        connection.ssl_certfile,
        connection.ssl_keyfile,
    ) == ("mail.example.com", 25, True, False, "env-user", "configured", 7.5, "c.pem", "k")


def test_mailer_options_fill_nothing_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_HOST_USER", "env-user")
    monkeypatch.setenv("EMAIL_TIMEOUT", "7.5")

    connection = smtp.EmailBackend(alias="default", host="mail.example.com", use_tls=True)

    assert (
        connection.alias,
        connection.host,
        connection.port,
        connection.use_tls,
        connection.use_ssl,
        connection.username,
        connection.password,
        connection.timeout,
        connection.ssl_certfile,
    ) == ("default", "mail.example.com", 587, True, False, None, None, None, None)


@pytest.mark.parametrize(
    ("options", "port"), [({}, 25), ({"use_tls": True}, 587), ({"use_ssl": True}, 465)]
)
def test_mailer_port_defaults_by_security(options: dict[str, Any], port: int) -> None:
    assert smtp.EmailBackend(alias="default", host="h", **options).port == port


def test_empty_batch_and_no_recipients_return_zero_without_connecting() -> None:
    connection = smtp.EmailBackend(alias="smtp", host="127.0.0.1", port=free_port())

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


def test_client_certificate_from_options_is_presented(
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
    anonymous = backend(server, use_tls=True)
    ca.configure_trust(anonymous.ssl_context)
    files = {
        "ssl_certfile": str(tmp_path / "client.pem"),
        "ssl_keyfile": str(tmp_path / "client.key"),
    }
    try:
        connection = backend(server, use_tls=True, **files)
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
