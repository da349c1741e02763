"""The ingest pipeline between pochta's SMTP server and the store, relaying to real upstreams.

pochta's own SMTP server (on a loop of its own, ``tests.server.smtp.smtp_harness``)
delivers through a :class:`~pochta.server.pipeline.Pipeline` into a real
SQLite store; the upstreams are aiosmtpd, or a socket that never answers.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pochta.server.pipeline import Pipeline
from pochta.server.relay.config import RelayConfig, Upstream
from pochta.store import Store, open_store
from tests.mail.smtp_peer import RecordingHandler
from tests.server.smtp.smtp_harness import serve

MESSAGE = b"From: app@example.com\r\nSubject: Hi\r\n\r\nHello\r\n.\r\n"


def transaction(to: str) -> bytes:
    return f"EHLO t\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<{to}>\r\nDATA\r\n".encode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "mail.db")
    yield opened
    opened.close()


class Silent:
    """A TCP server that accepts connections and never says a word (a hung upstream)."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port: int = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self.arrived = threading.Condition()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with self.arrived:
                self.accepted.append(connection)
                self.arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 30.0) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.accepted) >= count, timeout)

    def close(self) -> None:
        # A close alone leaves a thread blocked in accept() listening (Linux): the relays
        # that connect afterwards would hang until their own timeout, past the test's.
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with self.arrived:
            for connection in self.accepted:
                connection.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    yield server
    server.close()


def test_a_hung_upstream_holds_only_the_messages_it_relays(store: Store, silent: Silent) -> None:
    # More relays hang than asyncio's default executor has threads (32 at most), and
    # the store's own work must still run: a message not relayed is stored at once.
    relay = RelayConfig(Upstream("127.0.0.1", silent.port))
    pipeline = Pipeline(store, relay=relay, relay_matching=re.compile("^slow@"))
    with serve(deliver=pipeline.adeliver) as server:
        hung = [server.connect() for _ in range(40)]
        for client in hung:
            client.send(transaction("slow@example.com"), replies=4)
            client.sock.sendall(MESSAGE)
        assert silent.wait_for(6)
        fast = server.connect()
        fast.sock.settimeout(15)

        codes = fast.codes(transaction("fast@example.com"), replies=4)
        stored = fast.codes(MESSAGE)
        silent.close()  # the hung relays fail now; their messages are kept (and logged)

        assert (codes, stored) == ([250, 250, 250, 354], [250])
        assert [c.replies(1)[0][:3] for c in hung] == [b"250"] * 40
    pipeline.close()
    assert store.list_messages().total == 41


class Unsure(RecordingHandler):
    """An upstream that answers 252 ("cannot verify") to RCPT for maybe@..."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.startswith("maybe@"):
            return "252 2.1.5 Cannot VRFY user, but will take message"
        return await super().handle_RCPT(server, session, envelope, address, options)


def test_an_upstream_2xx_that_is_not_acceptance_is_never_passed_on_as_success(
    store: Store,
) -> None:
    from aiosmtpd.controller import Controller

    from tests.mail.smtp_peer import free_port

    port = free_port()
    upstream = Controller(Unsure(), hostname="127.0.0.1", port=port)
    upstream.start()
    try:
        relay = RelayConfig(Upstream("127.0.0.1", port, forward_smtp_errors=True))
        pipeline = Pipeline(store, relay=relay, relay_all=True)
        with serve(deliver=pipeline.adeliver) as server:
            client = server.connect()
            client.send(transaction("maybe@example.com"), replies=4)
            [answer] = client.send(MESSAGE)
        pipeline.close()
    finally:
        upstream.stop()

    # Nothing was kept (forward-smtp-errors), so the client must not hear a 2xx.
    assert answer == b"451 4.3.5 Unable to process mail\r\n"
    assert store.list_messages().total == 0
