"""Live events on /api/events over a real WebSocket to ``pochta serve``; refusals; slowness."""

from __future__ import annotations

import functools
import json
import smtplib
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as open_socket
from websockets.typing import Origin

from pochta import __version__
from pochta.server.api.event import QUEUE_SIZE, EventHub
from pochta.server.routes import create_app
from pochta.store import Store

#: The first socket of a fresh catcher waits for the API to be attached (slow under load).
connect = functools.partial(open_socket, open_timeout=30)

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

# Mailpit's MessageSummary fields (swagger.json), as a "new" event carries them.
SUMMARY_FIELDS = {
    "Attachments", "Bcc", "Cc", "Created", "From", "ID", "MessageID", "Read", "ReplyTo",
    "Size", "Snippet", "Subject", "Tags", "To",
}  # fmt: skip


def events_url(served: ServeProcess) -> str:
    """Return the ws:// address of the server's event socket."""
    return served.url.replace("http://", "ws://", 1) + "/api/events"


def send(served: ServeProcess, subject: str) -> None:
    """Send one message over SMTP."""
    with smtplib.SMTP(*served.smtp) as client:
        message = f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\n\r\nhi\r\n"
        client.sendmail("a@example.com", ["b@example.com"], message)


def next_event(socket: ClientConnection, *, skip_stats: bool = True) -> dict[str, Any]:
    """Return the next event (by default the next that is not ``stats``)."""
    while True:
        event: dict[str, Any] = json.loads(socket.recv(timeout=10))
        if not (skip_stats and event["Type"] == "stats"):
            return event


def test_new_read_and_deleted_mail_arrive_live(serve_process: ServeProcess) -> None:
    with connect(events_url(serve_process)) as socket:
        send(serve_process, "live one")
        new = next_event(socket)
        assert new["Type"] == "new"
        assert set(new["Data"]) >= SUMMARY_FIELDS
        message_id = new["Data"]["ID"]
        assert (new["Data"]["Subject"], new["Data"]["Read"]) == ("live one", False)

        serve_process.request("PUT", "/api/v1/messages", json={"IDs": [message_id], "Read": True})
        assert next_event(socket) == {
            "Type": "update",
            "Data": {"ID": message_id, "Read": True, "Tags": []},
        }
        serve_process.request("DELETE", "/api/v1/messages", json={"IDs": [message_id]})
        assert next_event(socket) == {"Type": "delete", "Data": {"ID": message_id}}
        stats = next_event(socket, skip_stats=False)
        assert stats == {
            "Type": "stats",
            "Data": {"Total": 0, "Unread": 0, "Version": __version__},
        }

        send(serve_process, "gone soon")
        assert next_event(socket)["Type"] == "new"
        serve_process.request("DELETE", "/api/v1/messages")
        assert next_event(socket) == {"Type": "truncate", "Data": None}


def test_reading_a_message_sends_its_update(serve_process: ServeProcess) -> None:
    # Mailpit marks a message read when the API returns it, and says so live.
    with connect(events_url(serve_process)) as socket:
        send(serve_process, "read me")
        message_id = next_event(socket)["Data"]["ID"]
        assert serve_process.get(f"/api/v1/message/{message_id}").status_code == 200
        assert next_event(socket)["Data"] == {"ID": message_id, "Read": True, "Tags": []}


def test_every_client_hears_every_event(serve_process: ServeProcess) -> None:
    url = events_url(serve_process)
    with connect(url) as first, connect(url) as second:
        send(serve_process, "for both")
        assert next_event(first)["Data"]["Subject"] == "for both"
        assert next_event(second)["Data"]["Subject"] == "for both"


@pytest.mark.parametrize(
    "origin", ["http://evil.example", "http://127.0.0.1:1", "null", "http://localhost"]
)
def test_cross_origin_socket_is_refused(serve_process: ServeProcess, origin: str) -> None:
    with pytest.raises(InvalidStatus) as refused:
        connect(events_url(serve_process), origin=Origin(origin))
    assert refused.value.response.status_code == 403


def test_same_origin_and_no_origin_are_served(serve_process: ServeProcess) -> None:
    url = events_url(serve_process)
    with connect(url, origin=Origin(serve_process.url)) as page, connect(url) as script:
        send(serve_process, "both may read")
        assert next_event(page)["Type"] == next_event(script)["Type"] == "new"


async def _refusal(store: Store, headers: list[tuple[bytes, bytes]]) -> list[dict[str, Any]]:
    """Open /api/events on the in-process app with ``headers``; return what it sent."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send_(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    scope = {
        "type": "websocket",
        "path": "/api/events",
        "raw_path": b"/api/events",
        "query_string": b"",
        "headers": headers,
        "scheme": "ws",
        "server": ("127.0.0.1", 8025),
        "client": ("127.0.0.1", 5000),
        "root_path": "",
        "subprotocols": [],
    }
    await create_app(store)(scope, receive, send_)
    return sent


@pytest.mark.anyio
@pytest.mark.parametrize(
    "headers",
    [
        [(b"host", b"evil.example:8025")],
        [(b"host", b"127.0.0.1:8025"), (b"origin", b"http://evil.example")],
        [(b"host", b"127.0.0.1:8025"), (b"sec-fetch-site", b"cross-site")],
    ],
)
async def test_refused_before_the_handshake(
    api_store: Store, headers: list[tuple[bytes, bytes]]
) -> None:
    assert await _refusal(api_store, headers) == [{"type": "websocket.close", "code": 1008}]


@pytest.mark.anyio
async def test_a_slow_client_is_dropped_and_the_others_go_on(api_store: Store) -> None:
    hub = EventHub(api_store)
    slow, fast = hub.join(), hub.join()
    received = []
    for number in range(QUEUE_SIZE + 10):
        hub.broadcast([str(number)])
        received.append(fast.queue.get_nowait())
    assert slow.dropped.is_set() and not fast.dropped.is_set()
    assert received == [str(n) for n in range(QUEUE_SIZE + 10)]
    assert slow.queue.qsize() == QUEUE_SIZE
    hub.leave(fast)
    hub.leave(slow)
    hub.unsubscribe()
