"""AUTH PLAIN and LOGIN (RFC 4954, 4616): any credentials, or those of a file."""

from __future__ import annotations

import base64
import contextlib
import logging
import smtplib
from pathlib import Path

import pytest

from pochta.exceptions import ConfigurationError
from pochta.server.smtp.auth import load_credentials
from pochta.server.smtp.server import SMTPSettings
from tests.server.smtp.smtp_harness import Recorder, serve

PASSWORD = "s3cret:with-colon"
USERS = SMTPSettings(auth_credentials={"alice": PASSWORD})


def b64(text: str) -> bytes:
    return base64.b64encode(text.encode())


def plain(user: str, password: str) -> bytes:
    return b64(f"\0{user}\0{password}")


def test_auth_is_advertised_only_when_enabled() -> None:
    with serve() as server:
        assert b"AUTH" not in server.connect().send(b"EHLO c\r\n")[0]
    with serve(USERS) as server:
        assert b"250 AUTH PLAIN LOGIN\r\n" in server.connect().send(b"EHLO c\r\n")[0]


def test_plain_with_an_initial_response_logs_in() -> None:
    recorder = Recorder()
    with serve(USERS, recorder) as server:
        client = server.connect()
        assert client.send(b"EHLO c\r\nAUTH PLAIN " + plain("alice", PASSWORD) + b"\r\n", 2)[
            1
        ] == (b"235 2.7.0 Authentication successful\r\n")
        client.send(b"MAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nx\r\n.\r\n", 4)
        assert client.send(b"AUTH PLAIN\r\n") == [b"503 5.5.1 Already authenticated\r\n"]
    assert recorder.messages[0][1].auth_user == "alice"


def test_plain_with_a_continuation_and_login_both_work() -> None:
    with serve(USERS) as server:
        client = server.connect()
        assert client.send(b"EHLO c\r\nAUTH PLAIN\r\n", 2)[1] == b"334 \r\n"
        assert client.codes(plain("alice", PASSWORD) + b"\r\n") == [235]
        client = server.connect()
        assert client.send(b"EHLO c\r\nAUTH LOGIN\r\n", 2)[1] == b"334 VXNlcm5hbWU6\r\n"
        assert client.send(b64("alice") + b"\r\n") == [b"334 UGFzc3dvcmQ6\r\n"]
        assert client.codes(b64(PASSWORD) + b"\r\n") == [235]
        client = server.connect()
        assert client.codes(b"EHLO c\r\nAUTH LOGIN " + b64("alice") + b"\r\n", 2) == [250, 334]
        assert client.codes(b64(PASSWORD) + b"\r\n") == [235]


@pytest.mark.parametrize(
    ("exchange", "reply"),
    [
        (
            b"AUTH PLAIN " + plain("alice", "wrong") + b"\r\n",
            b"535 5.7.8 Authentication credentials invalid\r\n",
        ),
        (
            b"AUTH PLAIN " + plain("mallory", PASSWORD) + b"\r\n",
            b"535 5.7.8 Authentication credentials invalid\r\n",
        ),
        (b"AUTH PLAIN not*base64\r\n", b"501 5.5.2 Cannot decode the AUTH response (base64)\r\n"),
        (
            b"AUTH PLAIN " + b64("no-nuls") + b"\r\n",
            b"501 5.5.2 Cannot decode the AUTH response (base64)\r\n",
        ),
        (b"AUTH PLAIN\r\n*\r\n", b"501 5.7.0 Authentication aborted\r\n"),
        (b"AUTH LOGIN\r\n" + b64("alice") + b"\r\n*\r\n", b"501 5.7.0 Authentication aborted\r\n"),
        (
            b"AUTH CRAM-MD5\r\n",
            b"504 5.5.4 Unrecognized authentication mechanism; use PLAIN or LOGIN\r\n",
        ),
        (
            b"AUTH PLAIN " + plain("a\r\nb", "x") + b"\r\n",
            b"501 5.5.4 Syntax error in parameters or arguments\r\n",
        ),
    ],
)
def test_refused_auth_leaves_the_session_usable(exchange: bytes, reply: bytes) -> None:
    with serve(USERS) as server:
        client = server.connect()
        replies = client.send(b"EHLO c\r\n" + exchange, 1 + exchange.count(b"\r\n"))
        assert replies[-1] == reply
        assert client.send(b"AUTH PLAIN " + plain("alice", PASSWORD) + b"\r\n") == [
            b"235 2.7.0 Authentication successful\r\n"
        ]


def test_a_credentials_file_makes_auth_required() -> None:
    with serve(USERS) as server:
        client = server.connect()
        assert client.send(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\n", 2)[1] == (
            b"530 5.7.0 Authentication required\r\n"
        )


def test_accept_any_takes_any_credentials_and_keeps_auth_optional() -> None:
    recorder = Recorder()
    with serve(SMTPSettings(auth_accept_any=True), recorder) as server:
        with smtplib.SMTP("127.0.0.1", server.port) as smtp:
            smtp.sendmail("a@b.c", ["d@e.f"], b"anonymous\r\n")
        with smtplib.SMTP("127.0.0.1", server.port) as smtp:
            assert smtp.login("anyone", "anything")[0] == 235
            smtp.sendmail("a@b.c", ["d@e.f"], b"logged in\r\n")
    assert [env.auth_user for _, env in recorder.messages] == [None, "anyone"]


def test_auth_is_not_allowed_inside_a_transaction() -> None:
    with serve(SMTPSettings(auth_accept_any=True)) as server:
        client = server.connect()
        assert client.send(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nAUTH PLAIN =\r\n", 3)[2] == (
            b"503 5.5.1 AUTH is not allowed during a mail transaction\r\n"
        )


def test_auth_when_disabled_is_502() -> None:
    with serve() as server:
        assert server.connect().send(b"EHLO c\r\nAUTH PLAIN =\r\n", 2)[1] == (
            b"502 5.5.1 AUTH is not enabled on this server\r\n"
        )


def test_passwords_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with serve(USERS) as server:
        for password in (PASSWORD, "wrong-password-1"):
            with (
                smtplib.SMTP("127.0.0.1", server.port) as smtp,
                contextlib.suppress(smtplib.SMTPAuthenticationError),
            ):
                smtp.login("alice", password)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "SMTP session from 127.0.0.1 closed" in text
    for secret in (PASSWORD, "wrong-password-1", plain("alice", PASSWORD).decode()):
        assert secret not in text


def test_credentials_file_in_mailpit_form(tmp_path: Path) -> None:
    path = tmp_path / "auth"
    path.write_text("# users\nalice:pa:ss\n\nbob:\n")
    assert load_credentials(path) == {"alice": "pa:ss", "bob": ""}


@pytest.mark.parametrize("content", ["no-colon-here\n", ":nouser\n", "# only a comment\n"])
def test_a_bad_credentials_file_names_the_file_but_no_password(
    tmp_path: Path, content: str
) -> None:
    path = tmp_path / "auth"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match="auth") as caught:
        load_credentials(path)
    assert str(path) in str(caught.value) and "nouser" not in str(caught.value)


def test_auth_file_and_accept_any_together_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        SMTPSettings(auth_accept_any=True, auth_credentials={"a": "b"})
