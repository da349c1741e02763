"""``pochta serve``'s SMTP settings, end to end: login, STARTTLS, size and count limits."""

from __future__ import annotations

import re
import smtplib
import socket
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pochta.config import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.conftest import ServeProcess

SERVE_DOC = Path(__file__).resolve().parents[2] / "docs" / "serve.md"
MESSAGE = b"From: a@example.com\r\nSubject: guarded\r\n\r\nhello\r\n"


def test_auth_file_requires_a_login(
    launch_serve: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    users = tmp_path / "users"
    users.write_text("# who may send\napp:s3cret:with:colons\n")
    server = launch_serve("--smtp-auth-file", str(users))
    with smtplib.SMTP(*server.smtp) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert refused.value.smtp_code == 530
        with pytest.raises(smtplib.SMTPAuthenticationError):
            client.login("app", "wrong")
        client.login("app", "s3cret:with:colons")
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    assert server.get("/api/v1/message/latest").json()["Username"] == "app"


def test_unreadable_auth_file_is_one_line(
    launch_serve: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    with pytest.raises(RuntimeError, match=r"SMTP auth file .* cannot be read"):
        launch_serve("--smtp-auth-file", str(tmp_path / "missing"))


def test_required_starttls_with_a_self_signed_certificate(
    launch_serve: Callable[..., ServeProcess], tmp_path: Path
) -> None:
    server = launch_serve("--smtp-require-starttls")
    with smtplib.SMTP(*server.smtp) as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
        assert refused.value.smtp_code == 530
    trusting = ssl.create_default_context(cafile=tmp_path / "pochta-tls-cert.pem")
    trusting.check_hostname = False
    with smtplib.SMTP(*server.smtp) as client:
        client.starttls(context=trusting)
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    assert server.get("/api/v1/messages").json()["total"] == 1


def test_size_limit_is_announced_and_enforced(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    server = launch_serve("--max-message-size", "1K")
    with smtplib.SMTP(*server.smtp) as client:
        client.ehlo()
        assert client.esmtp_features["size"] == "1024"
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("a@example.com", ["b@example.com"], MESSAGE + b"x" * 2000)
        assert (refused.value.smtp_code, refused.value.smtp_error) == (
            552,
            b"5.3.4 Message size exceeds the limit of 1024 bytes (1K)",
        )
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    assert server.get("/api/v1/messages").json()["total"] == 1


def test_max_keeps_the_newest(launch_serve: Callable[..., ServeProcess]) -> None:
    server = launch_serve("--max", "2")
    with smtplib.SMTP(*server.smtp) as client:
        for number in range(4):
            client.sendmail("a@example.com", ["b@example.com"], f"Subject: {number}\r\n\r\nx\r\n")
    listed = server.get("/api/v1/messages").json()
    assert [m["Subject"] for m in listed["messages"]] == ["3", "2"]


def test_environment_sets_what_flags_do(launch_serve: Callable[..., ServeProcess]) -> None:
    server = launch_serve(env={"POCHTA_MAX": "1"})
    with smtplib.SMTP(*server.smtp) as client:
        for number in range(3):
            client.sendmail("a@example.com", ["b@example.com"], f"Subject: {number}\r\n\r\nx\r\n")
    assert server.get("/api/v1/messages").json()["total"] == 1


def test_verbose_logs_messages_and_requests(launch_serve: Callable[..., ServeProcess]) -> None:
    server = launch_serve("--verbose")
    with smtplib.SMTP(*server.smtp) as client:
        client.sendmail("a@example.com", ["b@example.com"], MESSAGE)
    message_id = server.get("/api/v1/messages").json()["messages"][0]["ID"]
    assert server.stop() == 0
    log = server.stderr()
    assert f"stored {message_id}: {len(MESSAGE)} bytes from <a@example.com> to 1 recipient" in log
    assert '"GET /api/v1/messages HTTP/1.1" 200' in log


def bad_commands_until_closed(address: tuple[str, int], limit: int = 50) -> list[bytes]:
    """Send ``BOGUS`` until it is answered other than 500; return every reply."""
    with socket.create_connection(address, timeout=10) as sock, sock.makefile("rb") as replies:
        assert replies.readline().startswith(b"220 ")
        answers = []
        for _ in range(limit):
            sock.sendall(b"BOGUS\r\n")
            answers.append(replies.readline())
            if not answers[-1].startswith(b"500 "):
                break
        assert replies.read() == b""  # closed after the last answer
        return answers


def test_bad_commands_close_the_session_at_the_documented_count(
    launch_serve: Callable[..., ServeProcess],
) -> None:
    documented = re.search(
        r"`--smtp-max-bad-commands` \(default (\d+)\)", SERVE_DOC.read_text(encoding="utf-8")
    )
    assert documented is not None, "docs/serve.md no longer says how many bad commands close"
    count = int(documented.group(1))
    server = launch_serve()

    answers = bad_commands_until_closed(server.smtp)

    assert count == Settings().smtp_max_bad_commands
    assert answers == [b"500 5.5.1 Command not recognized\r\n"] * (count - 1) + [
        b"421 4.7.0 Too many bad commands, closing connection\r\n"
    ]


def test_max_bad_commands_is_a_setting(launch_serve: Callable[..., ServeProcess]) -> None:
    server = launch_serve("--smtp-max-bad-commands", "3")

    answers = bad_commands_until_closed(server.smtp)

    assert [answer[:3] for answer in answers] == [b"500", b"500", b"421"]
