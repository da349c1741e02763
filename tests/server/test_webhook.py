"""The webhook against a real HTTP server on 127.0.0.1: normal, slow, and answering 500."""

from __future__ import annotations

import base64
import json
import logging
import smtplib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pochta.message.envelope import Envelope
from pochta.server.api.shape import summary_json
from pochta.server.webhook import Webhook
from pochta.store import Store, open_store
from tests.conftest import ServeProcess

RAW = b"From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: Hi\r\n\r\nHello\r\n"
WAIT = 20.0


@dataclass
class Receiver:
    """A real HTTP server that records each POST, answering ``status`` (after ``gate``)."""

    url: str = ""
    status: int = 200
    gate: threading.Event = field(default_factory=threading.Event)
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def wait_for(self, count: int) -> list[tuple[dict[str, str], bytes]]:
        """Wait until ``count`` requests arrived (each within WAIT seconds)."""
        for _ in range(count):
            assert self.arrived.acquire(timeout=WAIT), f"only {len(self.requests)} arrived"
        return self.requests


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver that answers at once (set ``gate.clear()`` to hold answers back)."""
    state = Receiver()
    state.gate.set()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append((dict(self.headers), body))
            state.arrived.release()
            state.gate.wait(WAIT)
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.gate.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(tmp_path / "mail.db")
    yield opened
    opened.close()


@pytest.fixture
def webhook(store: Store) -> Iterator[Callable[..., Webhook]]:
    made: list[Webhook] = []

    def make(url: str, **options: Any) -> Webhook:
        hook = Webhook(url, **{"limit": 0, "retry_pause": 0.01, **options})
        hook.start(store)
        made.append(hook)
        return hook

    yield make
    for hook in made:
        hook.close(timeout=2.0)


def test_each_new_message_is_posted_as_mailpits_summary(
    store: Store, receiver: Receiver, webhook: Callable[..., Webhook]
) -> None:
    webhook(receiver.url, label="Team mail")
    message_id = store.add(RAW, Envelope("ann@example.com", ("bob@example.com",)))

    [(headers, body)] = receiver.wait_for(1)

    assert json.loads(body) == summary_json(store.summary(message_id))
    assert not body.endswith(b"\n")
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"].startswith("pochta/")
    assert headers["Mailpit-Label"] == "Team mail"


def test_a_receiver_answering_500_is_tried_three_times_then_given_up(
    store: Store,
    receiver: Receiver,
    webhook: Callable[..., Webhook],
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver.status = 500
    hook = webhook(receiver.url)
    with caplog.at_level(logging.WARNING, logger="pochta.server.webhook"):
        message_id = store.add(RAW, Envelope("ann@example.com", ("bob@example.com",)))
        receiver.wait_for(3)
        hook.close(timeout=WAIT)

    assert len(receiver.requests) == 3
    assert (hook.stats.posted, hook.stats.failed) == (0, 1)
    assert f"posting {message_id} to {receiver.url} failed: it answered 500" in caplog.text


def test_basic_auth_in_the_url_is_sent_and_never_logged(
    store: Store,
    receiver: Receiver,
    webhook: Callable[..., Webhook],
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver.status = 500
    url = receiver.url.replace("http://", "http://hook%40user:s3cr%3At@")
    hook = webhook(url, attempts=1)
    with caplog.at_level(logging.WARNING, logger="pochta.server.webhook"):
        store.add(RAW, Envelope("ann@example.com", ("bob@example.com",)))
        [(headers, _)] = receiver.wait_for(1)
        hook.close(timeout=WAIT)

    assert headers["Authorization"] == "Basic " + base64.b64encode(b"hook@user:s3cr:t").decode()
    assert "failed: it answered 500" in caplog.text
    assert "s3cr" not in caplog.text
    assert receiver.url.replace("http://", "http://hook%40user:***@") in caplog.text


def test_a_slow_receiver_never_holds_up_the_store_and_overflow_is_dropped_with_a_log_line(
    store: Store,
    receiver: Receiver,
    webhook: Callable[..., Webhook],
    caplog: pytest.LogCaptureFixture,
) -> None:
    receiver.gate.clear()  # the receiver answers nothing until the test says so
    hook = webhook(receiver.url, queue_size=2, senders=1)
    envelope = Envelope("ann@example.com", ("bob@example.com",))
    with caplog.at_level(logging.WARNING, logger="pochta.server.webhook"):
        ids = [store.add(RAW, envelope) for _ in range(6)]
        receiver.wait_for(1)

    assert len(ids) == 6  # every add returned while the receiver sat on the first call
    assert hook.stats.dropped_full >= 3
    assert "is not keeping up; dropped" in caplog.text
    receiver.gate.set()
    receiver.wait_for(2)  # what was queued is still delivered


def test_a_receiver_that_is_down_is_logged(
    store: Store, webhook: Callable[..., Webhook], caplog: pytest.LogCaptureFixture
) -> None:
    hook = webhook("http://127.0.0.1:9/hook")
    with caplog.at_level(logging.WARNING, logger="pochta.server.webhook"):
        store.add(RAW, Envelope("ann@example.com", ("bob@example.com",)))
        deadline = time.monotonic() + WAIT
        while hook.stats.failed == 0 and time.monotonic() < deadline:
            time.sleep(0.02)

    assert hook.stats.failed == 1
    assert "ConnectionRefusedError" in caplog.text


def test_the_limit_drops_calls_over_n_a_second(
    store: Store, receiver: Receiver, webhook: Callable[..., Webhook]
) -> None:
    hook = webhook(receiver.url, limit=2)
    message_id = store.add(RAW, Envelope("ann@example.com", ("bob@example.com",)))
    receiver.wait_for(1)
    summary = store.summary(message_id)

    offered = [hook.offer(summary) for _ in range(4)]

    assert offered == [True, False, False, False]  # the add itself was the first of two
    assert hook.stats.dropped_limit == 3


def test_pochta_serve_posts_smtp_messages_with_a_delay(
    launch_serve: Callable[..., ServeProcess], receiver: Receiver
) -> None:
    served = launch_serve(
        "--webhook-url", receiver.url, "--webhook-limit", "0", "--webhook-delay", "1"
    )
    with smtplib.SMTP(*served.smtp) as client:
        for n in range(3):
            client.sendmail(
                "ann@example.com", ["bob@example.com"], RAW.replace(b"Hi", b"Hi %d" % n)
            )

    subjects = sorted(json.loads(body)["Subject"] for _, body in receiver.wait_for(3))

    assert subjects == ["Hi 0", "Hi 1", "Hi 2"]
