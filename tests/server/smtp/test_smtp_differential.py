"""Send the same conversations to aiosmtpd and to pochta; where RFC 5321 fixes the code, agree."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from pochta.server.smtp.server import SMTPSettings
from tests.server.smtp.smtp_harness import RawClient, serve

SIZE = 10_000
MAIL = b"MAIL FROM:<a@example.com>\r\n"
RCPT = b"RCPT TO:<b@example.com>\r\n"

CONVERSATIONS = {
    "helo": [b"HELO client.example\r\n", b"NOOP\r\n", b"RSET\r\n", b"QUIT\r\n"],
    "ehlo and a message": [
        b"EHLO c\r\n",
        MAIL,
        RCPT,
        b"DATA\r\n",
        b"Subject: x\r\n\r\nhi\r\n.\r\n",
    ],
    "null sender": [b"EHLO c\r\n", b"MAIL FROM:<>\r\n", RCPT, b"DATA\r\n", b"x\r\n.\r\n"],
    "mail before helo": [MAIL],
    "rcpt before mail": [b"EHLO c\r\n", RCPT],
    "data before rcpt": [b"EHLO c\r\n", MAIL, b"DATA\r\n"],
    "data before mail": [b"EHLO c\r\n", b"DATA\r\n"],
    "nested mail": [b"EHLO c\r\n", MAIL, MAIL],
    "unknown verb": [b"FROB\r\n", b"NOOP\r\n"],
    "ehlo without a name": [b"EHLO\r\n"],
    "mail without colon": [b"EHLO c\r\n", b"MAIL <a@example.com>\r\n"],
    "vrfy": [b"EHLO c\r\n", b"VRFY someone\r\n"],
    "size too big": [b"EHLO c\r\n", b"MAIL FROM:<a@example.com> SIZE=%d\r\n" % (SIZE + 1)],
    "size fits": [b"EHLO c\r\n", b"MAIL FROM:<a@example.com> SIZE=%d\r\n" % SIZE],
    "body too big": [
        b"EHLO c\r\n",
        MAIL,
        RCPT,
        b"DATA\r\n",
        b"x" * 900 + b"\r\n" * 20 * SIZE + b".\r\n",
        b"NOOP\r\n",
    ],
    "smuggling": [
        b"EHLO c\r\n",
        MAIL,
        RCPT,
        b"DATA\r\n",
        b"a\n.\r\nMAIL FROM:<e@x.y>\r\n.\r\n",
        b"NOOP\r\n",
    ],
    "rset clears": [b"EHLO c\r\n", MAIL, b"RSET\r\n", RCPT],
    "two messages": [
        b"HELO c\r\n",
        MAIL,
        RCPT,
        b"DATA\r\n",
        b"1\r\n.\r\n",
        MAIL,
        RCPT,
        b"DATA\r\n",
        b"2\r\n.\r\n",
    ],
}


class Discard:
    """An aiosmtpd handler that accepts and forgets every message."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def aiosmtpd_port() -> Iterator[int]:
    controller = Controller(
        Discard(), hostname="127.0.0.1", port=free_port(), data_size_limit=SIZE
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def pochta_port() -> Iterator[int]:
    with serve(SMTPSettings(max_message_size=SIZE)) as server:
        yield server.port


def reply_codes(port: int, commands: list[bytes]) -> list[int]:
    client = RawClient(port)
    try:
        return [client.codes(command)[0] for command in commands]
    finally:
        client.close()


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_pochta_and_aiosmtpd_agree(name: str, aiosmtpd_port: int, pochta_port: int) -> None:
    commands = CONVERSATIONS[name]
    assert reply_codes(pochta_port, commands) == reply_codes(aiosmtpd_port, commands)
