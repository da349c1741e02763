"""Limits answer with their own code, keep memory bounded and keep the session usable."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import socket
import time

import pytest

from pochta.exceptions import StoreError, StoreFullError
from pochta.server.smtp.framing import Framer, Oversize
from pochta.server.smtp.server import SMTPSettings
from tests.server.smtp.smtp_harness import Recorder, failing, serve

START = b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\n"


def test_size_parameter_over_the_limit_is_refused_with_552() -> None:
    with serve(SMTPSettings(max_message_size=1000)) as server:
        client = server.connect()
        replies = client.send(
            b"EHLO c\r\nMAIL FROM:<a@b.c> SIZE=1001\r\nMAIL FROM:<a@b.c> SIZE=1000\r\n", 3
        )
        assert replies[1:] == [
            b"552 5.3.4 Message size exceeds the limit of 1000 bytes\r\n",
            b"250 2.1.0 OK\r\n",
        ]


def test_a_message_over_the_size_limit_is_drained_refused_and_not_stored() -> None:
    recorder = Recorder()
    with serve(SMTPSettings(max_message_size=10_000), recorder) as server:
        client = server.connect()
        assert client.codes(START + b"DATA\r\n", 4) == [250, 250, 250, 354]
        for _ in range(100):  # 6.4 MB, far over the limit
            client.sock.sendall(b"x" * 64_000 + b"\r\n")
        assert client.send(b".\r\n") == [
            b"552 5.3.4 Message size exceeds the limit of 10000 bytes\r\n"
        ]
        fits = b"y" * 9_998 + b"\r\n"
        assert client.codes(START[8:] + b"DATA\r\n" + fits + b".\r\n", 4) == [250, 250, 354, 250]
    assert recorder.raws == [fits]


def test_framer_memory_stays_bounded_for_an_endless_message() -> None:
    framer = Framer(max_line=512, max_message=1000)
    framer.begin_data()
    for _ in range(1000):
        framer.feed(b"z" * 10_000)
        assert framer.read_message() is None
        assert len(framer) <= 11_006
    framer.feed(b"\r\n.\r\nNOOP\r\n")
    assert (framer.read_message(), framer.read_line()) == (Oversize.MESSAGE, b"NOOP")


def test_framer_memory_stays_bounded_for_an_endless_command_line() -> None:
    framer = Framer(max_line=512, max_message=1000)
    for _ in range(1000):
        framer.feed(b"A" * 10_000)
        assert framer.read_line() is None
        assert len(framer) <= 10_513
    framer.feed(b"\r")
    assert framer.read_line() is None
    framer.feed(b"\nNOOP\r\n")
    assert (framer.read_line(), framer.read_line(), framer.read_line()) == (
        Oversize.LINE,
        b"NOOP",
        None,
    )


@pytest.mark.parametrize("length", [600, 20_000, 3_000_000])
def test_an_overlong_command_line_gets_500_and_the_session_goes_on(length: int) -> None:
    with serve() as server:
        client = server.connect()
        assert client.send(b"NOOP " + b"x" * length + b"\r\nNOOP\r\n", 2) == [
            b"500 5.5.2 Line too long\r\n",
            b"250 2.0.0 OK\r\n",
        ]


def test_mail_and_auth_lines_may_be_longer_than_512() -> None:
    with serve(SMTPSettings(auth_accept_any=True)) as server:
        client = server.connect()
        mail = b"MAIL FROM:<a@example.com> AUTH=<" + b"u" * 480 + b"@example.com> SIZE=10\r\n"
        auth = b"AUTH PLAIN " + b"A" * 2000 + b"\r\n"  # bad base64 on purpose: 501, not 500
        assert client.codes(b"EHLO c\r\n" + mail + b"RSET\r\n" + auth, 4) == [250, 250, 250, 501]


def test_at_least_100_recipients_then_452_per_extra_rcpt() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        client = server.connect()
        rcpts = b"".join(b"RCPT TO:<r%d@example.com>\r\n" % n for n in range(102))
        replies = client.send(
            b"EHLO c\r\nMAIL FROM:<a@b.c>\r\n" + rcpts + b"DATA\r\nx\r\n.\r\n", 106
        )
        assert [r[:3] for r in replies[2:104]] == [b"250"] * 100 + [b"452"] * 2
        assert replies[102] == b"452 4.5.3 Too many recipients\r\n"
        assert [r[:3] for r in replies[104:]] == [b"354", b"250"]
    assert len(recorder.messages[0][1].rcpt_tos) == 100


def test_one_connection_too_many_is_told_421_and_closed() -> None:
    with serve(SMTPSettings(max_connections=2)) as server:
        first, _second = server.connect(), server.connect()
        third = server.connect(greet=False)
        assert third.read_all() == b"421 4.7.0 Too many connections, try again later\r\n"
        assert first.send(b"QUIT\r\n") == [b"221 2.0.0 Bye\r\n"]
        assert first.read_all() == b""
        assert server.connect().greeting.startswith(b"220 ")


def test_too_many_bad_commands_end_the_session() -> None:
    with serve(SMTPSettings(max_bad_commands=3)) as server:
        client = server.connect()
        assert client.send(b"BOGUS\r\nEHLO\r\nNOOP\r\nJUNK\r\nNOOP\r\n", 3) == [
            b"500 5.5.1 Command not recognized\r\n",
            b"501 5.5.4 Syntax error in parameters or arguments\r\n",
            b"250 2.0.0 OK\r\n",
        ]
        assert client.read_all() == b"421 4.7.0 Too many bad commands, closing connection\r\n"


def test_an_idle_session_is_closed_with_421() -> None:
    with serve(SMTPSettings(idle_timeout=0.2)) as server:
        client = server.connect()
        assert client.read_all() == b"421 4.4.2 Idle for too long, closing connection\r\n"


def test_a_slow_but_moving_upload_is_not_timed_out() -> None:
    recorder = Recorder()
    with serve(SMTPSettings(idle_timeout=1.0), recorder) as server:
        client = server.connect()
        assert client.codes(START + b"DATA\r\n", 4) == [250, 250, 250, 354]
        for _ in range(25):  # 2.5 s in all, 0.1 s between pieces
            client.sock.sendall(b"slow line\r\n")
            time.sleep(0.1)
        assert client.codes(b".\r\n") == [250]
    assert recorder.raws == [b"slow line\r\n" * 25]


@pytest.mark.parametrize(
    ("error", "reply"),
    [
        (StoreFullError("disk full"), b"452 4.3.1 Insufficient system storage\r\n"),
        (StoreError("broken"), b"451 4.3.0 Local error in processing: message not stored\r\n"),
        (RuntimeError("bug"), b"451 4.3.0 Local error in processing: message not stored\r\n"),
    ],
)
def test_a_store_failure_is_never_answered_250(error: Exception, reply: bytes) -> None:
    with serve(deliver=failing(error)) as server:
        client = server.connect()
        assert client.send(START + b"DATA\r\nx\r\n.\r\nNOOP\r\n", 6)[4:] == [
            reply,
            b"250 2.0.0 OK\r\n",
        ]


def test_commands_sent_while_a_message_is_stored_wait_their_turn() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        server.call(_hold, recorder)
        client = server.connect()
        assert client.codes(START + b"DATA\r\nx\r\n.\r\nNOOP\r\nRSET\r\n", 4) == [250] * 3 + [354]
        server.call(_release, recorder)
        assert client.replies(3) == [
            b"250 2.0.0 OK: queued as id1\r\n",
            b"250 2.0.0 OK\r\n",
            b"250 2.0.0 OK\r\n",
        ]


async def _hold(recorder: Recorder) -> None:
    recorder.gate = asyncio.Event()


async def _release(recorder: Recorder) -> None:
    assert recorder.gate is not None
    recorder.gate.set()


@pytest.mark.slow
def test_a_slow_store_stops_the_server_reading() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        server.call(_hold, recorder)
        client = server.connect()
        assert client.codes(START + b"DATA\r\nx\r\n.\r\n", 4) == [250, 250, 250, 354]
        client.sock.settimeout(1.0)
        chunk, sent = b"NOOP\r\n" * 10_000, 0
        with contextlib.suppress(TimeoutError):
            while sent < 200_000_000:
                sent += client.sock.send(chunk)
        assert sent < 200_000_000  # the writes stalled: the server stopped reading
        client.sock.settimeout(30)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            reading = pool.submit(client.read_all)
            server.call(_release, recorder)
            client.sock.sendall(b"NOOP\r\n"[sent % 6 :] * bool(sent % 6) + b"QUIT\r\n")
            replies = reading.result()
    assert replies.startswith(b"250 2.0.0 OK: queued as id1\r\n250 2.0.0 OK\r\n")
    assert replies.count(b"250 2.0.0 OK\r\n") == -(-sent // 6)


def test_a_client_that_half_closes_still_gets_every_reply() -> None:
    # printf '...' | nc: the whole conversation, then EOF, while the store is slow
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        server.call(_hold, recorder)
        client = server.connect()
        client.sock.sendall(START + b"DATA\r\nx\r\n.\r\nNOOP\r\nQUIT\r\n")
        client.sock.shutdown(socket.SHUT_WR)
        server.call(_release, recorder)
        replies = client.read_all()
    assert replies.endswith(
        b"354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 OK: queued as id1\r\n"
        b"250 2.0.0 OK\r\n221 2.0.0 Bye\r\n"
    )
    assert recorder.raws == [b"x\r\n"]
