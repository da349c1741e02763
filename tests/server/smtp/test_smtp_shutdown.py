"""Closing the server: idle sessions get 421, messages in flight finish, nothing acked is lost."""

from __future__ import annotations

import asyncio
import concurrent.futures
import time

from tests.server.smtp.smtp_harness import Recorder, RunningServer, serve

START = b"EHLO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nDATA\r\n"
SHUTTING_DOWN = b"421 4.3.2 Service shutting down, closing connection\r\n"


def begin_close(server: RunningServer, grace: float) -> concurrent.futures.Future[None]:
    """Start ``aclose`` on the server's loop and return once it no longer accepts."""
    closing = asyncio.run_coroutine_threadsafe(server.server.aclose(grace=grace), server.loop)
    deadline = time.monotonic() + 10
    while server.call(_listening, server):
        assert time.monotonic() < deadline, "the server still accepts 10 s after aclose began"
    return closing


async def _listening(server: RunningServer) -> bool:
    await asyncio.sleep(0.01)
    return bool(server.server.sockets)


def test_an_idle_session_is_told_421() -> None:
    with serve() as server:
        client = server.connect()
        begin_close(server, grace=5.0).result(timeout=30)
        assert client.read_all() == SHUTTING_DOWN


def test_a_message_being_sent_finishes_within_the_grace_period() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        client = server.connect()
        assert client.codes(START + b"first half\r\n", 4) == [250, 250, 250, 354]
        closing = begin_close(server, grace=30.0)
        client.sock.sendall(b"second half\r\n.\r\nMAIL FROM:<late@example.com>\r\n")
        assert client.read_all() == b"250 2.0.0 OK: queued as id1\r\n" + SHUTTING_DOWN
        closing.result(timeout=30)
    assert recorder.raws == [b"first half\r\nsecond half\r\n"]


def test_a_message_not_finished_in_time_is_dropped_with_421() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        client = server.connect()
        assert client.codes(START + b"never ends\r\n", 4) == [250, 250, 250, 354]
        begin_close(server, grace=0.2).result(timeout=30)
        assert client.read_all() == SHUTTING_DOWN
    assert recorder.raws == []


def test_a_message_being_stored_is_acknowledged_before_closing() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        server.call(_hold, recorder)
        client = server.connect()
        assert client.codes(START + b"x\r\n.\r\n", 4) == [250, 250, 250, 354]
        closing = begin_close(server, grace=0.1)
        server.call(_release, recorder)
        closing.result(timeout=30)
        assert client.read_all() == b"250 2.0.0 OK: queued as id1\r\n" + SHUTTING_DOWN
    assert recorder.raws == [b"x\r\n"]


async def _hold(recorder: Recorder) -> None:
    recorder.gate = asyncio.Event()


async def _release(recorder: Recorder) -> None:
    assert recorder.gate is not None
    recorder.gate.set()


def test_a_store_that_never_answers_does_not_hang_shutdown() -> None:
    recorder = Recorder()
    with serve(deliver=recorder) as server:
        server.call(_hold, recorder)
        client = server.connect()
        assert client.codes(START + b"x\r\n.\r\n", 4) == [250, 250, 250, 354]
        begin_close(server, grace=0.1).result(timeout=30)
        try:
            unacknowledged = client.read_all()
        except ConnectionResetError:
            unacknowledged = b""
        server.call(_release, recorder)
    assert unacknowledged == b""
