"""DATA: only <CRLF>.<CRLF> ends a message, bytes are stored exactly, no smuggling."""

from __future__ import annotations

import os
import smtplib
import socket
import struct
from email.message import EmailMessage

import pytest

from pochta.server.smtp.server import SMTPSettings
from tests.server.smtp.smtp_harness import Recorder, serve

TRANSACTION = b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"


def send_raw(
    body_and_end: bytes, replies: int, settings: SMTPSettings | None = None
) -> tuple[list[bytes], list[bytes]]:
    """Send one transaction with the given DATA bytes; return (replies, stored raws)."""
    recorder = Recorder()
    with serve(settings, recorder) as server:
        client = server.connect()
        answers = client.send(TRANSACTION + body_and_end, 4 + replies)[4:]
        assert client.send(b"NOOP\r\n") == [b"250 2.0.0 OK\r\n"]
    return answers, recorder.raws


@pytest.mark.parametrize(
    "fake_end",
    [b"\n.\r\n", b"\r.\r\n", b"\n.\n", b"\r\n.\n", b"\r\n.\r", b"\n.\r", b"\r\n .\r\n"],
)
def test_only_crlf_dot_crlf_ends_data(fake_end: bytes) -> None:
    # CVE-2024-27305 / CVE-2023-51764: a second message hidden behind a fake end
    smuggled = b"MAIL FROM:<evil@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\nevil\r\n"
    body = b"Subject: one\r\n\r\nfirst" + fake_end + smuggled
    replies, raws = send_raw(body + b".\r\n", 1)
    assert replies == [b"250 2.0.0 OK: queued as id1\r\n"]
    # A dot after a real CRLF starts a line, so it is unstuffed like any other.
    assert raws == [body.replace(b"\r\n.", b"\r\n")]


def test_dot_stuffing_is_undone() -> None:
    # RFC 5321 4.5.2: one leading dot goes, on every line including the first
    replies, raws = send_raw(b"..first\r\nmid\r\n...\r\n..\r\n.x\r\n.\r\n", 1)
    assert replies == [b"250 2.0.0 OK: queued as id1\r\n"]
    assert raws == [b".first\r\nmid\r\n..\r\n.\r\nx\r\n"]


def test_an_empty_message_is_stored_empty() -> None:
    assert send_raw(b".\r\n", 1)[1] == [b""]


def test_nul_bytes_bare_lf_and_bare_cr_are_stored_as_sent() -> None:
    body = b"Subject: \x00odd\r\n\r\nline\nbare lf\rbare cr\x00\xff\xfe\r\n\n.notstuffed\r\n"
    assert send_raw(body + b".\r\n", 1)[1] == [body]


def test_broken_mime_is_stored_raw() -> None:
    body = (
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\nSubject: =?x?Q?bad\r\n'
        b"\r\n--never-closed\r\nContent-Type: text/plain; charset=x-nonexistent\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64!!!\r\n"
    )
    assert send_raw(body + b".\r\n", 1)[1] == [body]


def test_long_lines_in_data_are_accepted_by_default() -> None:
    body = b"Subject: long\r\n\r\n" + b"x" * 100_000 + b"\r\n"
    assert send_raw(body + b".\r\n", 1)[1] == [body]


def test_a_line_limit_when_set_refuses_the_message_and_keeps_the_session() -> None:
    settings = SMTPSettings(max_line_length=1000)
    ok_line = b"y" * 998 + b"\r\n"
    assert send_raw(ok_line + b".\r\n", 1, settings) == (
        [b"250 2.0.0 OK: queued as id1\r\n"],
        [ok_line],
    )
    assert send_raw(b"y" * 999 + b"\r\n.\r\n", 1, settings) == (
        [b"500 5.5.2 Line too long\r\n"],
        [],
    )


def test_two_messages_in_one_write_give_two_250s() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        client = server.connect()
        second = b"MAIL FROM:<a@example.com>\r\nRCPT TO:<c@example.com>\r\nDATA\r\ntwo\r\n.\r\n"
        replies = client.codes(TRANSACTION + b"one\r\n.\r\n" + second + b"QUIT\r\n", 9)
    assert replies == [250, 250, 250, 354, 250, 250, 250, 354, 250]
    assert recorder.raws == [b"one\r\n", b"two\r\n"]


def test_data_arriving_byte_by_byte_is_framed_the_same() -> None:
    recorder = Recorder()
    body = b"a\r\n..b\r\n\n.\r\nc\r\n"
    with serve(deliver=recorder) as server:
        client = server.connect()
        assert client.codes(TRANSACTION, 4) == [250, 250, 250, 354]
        for byte in body + b".\r\n":
            client.sock.sendall(bytes([byte]))
        assert client.replies(1) == [b"250 2.0.0 OK: queued as id1\r\n"]
    assert recorder.raws == [b"a\r\n.b\r\n\n.\r\nc\r\n"]


def test_a_20_mb_attachment_arrives_byte_exact_through_smtplib() -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@example.com", "b@example.com", "big"
    message.set_content("see attached")
    message.add_attachment(os.urandom(20 * 1024 * 1024), "application", "octet-stream")
    raw = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    recorder = Recorder()
    with serve(deliver=recorder) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        smtp.sendmail("a@example.com", ["b@example.com"], raw)
    assert recorder.raws == [raw]


def test_utf8_message_with_smtputf8_through_smtplib() -> None:
    raw = "From: отправитель@пример.рф\r\nSubject: привет\r\n\r\nтекст\r\n".encode()
    recorder = Recorder()
    with serve(deliver=recorder) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        smtp.sendmail("отправитель@пример.рф", ["получатель@пример.рф"], raw, ["SMTPUTF8"])
    assert [(r, e.mail_from, e.rcpt_tos) for r, e in recorder.messages] == [
        (raw, "отправитель@пример.рф", ("получатель@пример.рф",))
    ]


def test_a_client_that_vanishes_mid_data_stores_nothing_and_harms_no_one() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        client = server.connect()
        assert client.codes(TRANSACTION + b"half a message\r\n", 4) == [250, 250, 250, 354]
        client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()  # a reset, not a polite close
        with smtplib.SMTP("127.0.0.1", server.port) as smtp:
            smtp.sendmail("a@example.com", ["b@example.com"], b"next\r\n")
    assert recorder.raws == [b"next\r\n"]


def test_smtplib_reports_the_one_refused_recipient() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
        refused = smtp.sendmail("a@example.com", ["ok@example.com", "bad address"], b"x\r\n")
    assert refused == {"bad address": (553, b"5.1.3 Mailbox name not allowed: bad address syntax")}
    assert [envelope.rcpt_tos for _, envelope in recorder.messages] == [("ok@example.com",)]
