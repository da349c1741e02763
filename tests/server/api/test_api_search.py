"""GET/DELETE /api/v1/search and PUT /api/v1/messages by Search: each filter on a fixture set."""

from __future__ import annotations

import base64
from zoneinfo import ZoneInfo

import httpx
import pytest

from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio

PDF = base64.b64encode(b"%PDF-1.4 invoice").decode()
PNG = base64.b64encode(b"\x89PNG fake").decode()
INVOICE = (
    "From: Shop Billing <billing@shop.example>\r\nTo: alice@example.com\r\n"
    "Cc: carol@example.com\r\nSubject: Invoice 42\r\nMessage-ID: <inv-42@shop.example>\r\n"
    "X-Tags: billing\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/plain\r\n\r\nYour invoice is attached.\r\n"
    '--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="i.pdf"\r\n'
    f"Content-Transfer-Encoding: base64\r\n\r\n{PDF}\r\n--b--\r\n"
).encode()
RESET = (
    b"From: no-reply@app.example\r\nTo: bob+security@example.com\r\n"
    b"Reply-To: support@app.example\r\nSubject: Password reset\r\n"
    b"Message-ID: <reset-1@app.example>\r\n\r\nClick the link to reset your password.\r\n"
)
NEWSLETTER = (
    "From: News <news@list.example>\r\nTo: alice@example.com\r\nSubject: Weekly newsletter\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=r\r\n\r\n"
    "--r\r\nContent-Type: text/html\r\n\r\n"
    f'<p>{"Lorem ipsum dolor sit amet. " * 600}</p><img src="cid:logo">\r\n'
    "--r\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Disposition: inline\r\n"
    f"Content-Transfer-Encoding: base64\r\n\r\n{PNG}\r\n--r--\r\n"
).encode()
INV, RST, NEWS = "Invoice 42", "Password reset", "Weekly newsletter"
# Mailpit's MessagesSummary fields (swagger.json, plus the legacy "count").
PAGE_FIELDS = [
    "count", "messages", "messages_count", "messages_unread", "start", "tags", "total", "unread"
]  # fmt: skip


@pytest.fixture
def mailbox(api_store: Store) -> dict[str, str]:
    """Store the three fixture messages (oldest first); the reset is read."""
    ids = {
        INV: api_store.add(INVOICE, Envelope("billing@shop.example", ("alice@example.com",))),
        RST: api_store.add(RESET, Envelope("no-reply@app.example", ("bob+security@example.com",))),
        NEWS: api_store.add(
            NEWSLETTER, Envelope("news@list.example", ("alice@example.com", "dave@example.com"))
        ),
    }
    api_store.set_read([ids[RST]], True)
    return ids


async def search(client: httpx.AsyncClient, query: str, **params: str | int) -> httpx.Response:
    """GET /api/v1/search."""
    return await client.get("/api/v1/search", params={"query": query, **params})


@pytest.mark.parametrize(
    ("query", "subjects"),
    [
        ("invoice", [INV]),
        ('"reset your password"', [RST]),
        ("from:billing", [INV]),
        ("from:news@list.example", [NEWS]),
        ("to:alice", [NEWS, INV]),
        ("cc:carol", [INV]),
        ("bcc:dave", [NEWS]),
        ("reply-to:support", [RST]),
        ("addressed:carol", [INV]),
        ("subject:newsletter", [NEWS]),
        ("message-id:reset-1@app.example", [RST]),
        ("tag:billing", [INV]),
        ("tag:security", [RST]),
        ("is:read", [RST]),
        ("is:unread", [NEWS, INV]),
        ("is:tagged", [RST, INV]),
        ("has:attachment", [INV]),
        ("has:inline", [NEWS]),
        ("after:2020-01-01", [NEWS, RST, INV]),
        ("before:2020-01-01", []),
        ("larger:10K", [NEWS]),
        ("smaller:10K", [RST, INV]),
        ("-invoice", [NEWS, RST]),
        ("!from:billing", [NEWS, RST]),
        ("to:alice is:unread -has:inline", [INV]),
    ],
)
async def test_each_filter(
    api_client: httpx.AsyncClient, mailbox: dict[str, str], query: str, subjects: list[str]
) -> None:
    response = await search(api_client, query)
    assert response.status_code == 200, response.text
    assert [m["Subject"] for m in response.json()["messages"]] == subjects


async def test_search_has_mailpit_shape(
    api_client: httpx.AsyncClient, mailbox: dict[str, str]
) -> None:
    body = (await search(api_client, "to:alice", limit=1, start=1)).json()
    assert sorted(body) == PAGE_FIELDS
    messages = body.pop("messages")
    assert body == {
        "total": 3,
        "unread": 2,
        "count": 1,
        "messages_count": 2,
        "messages_unread": 2,
        "start": 1,
        "tags": ["billing", "security"],
    }
    assert [m["ID"] for m in messages] == [mailbox[INV]]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"query": ""}, "no search query"),
        ({"query": "   "}, "no search query"),
        ({}, "no search query"),
        ({"query": "before:someday"}, "someday"),
        ({"query": "larger:huge"}, "huge"),
        ({"query": "after:2026-01-01", "tz": "Mars/Olympus"}, "Mars/Olympus"),
        ({"query": "x", "limit": 0}, "limit"),
    ],
)
async def test_bad_search_is_400(
    api_client: httpx.AsyncClient, params: dict[str, str], error: str
) -> None:
    response = await api_client.get("/api/v1/search", params=params)
    assert response.status_code == 400
    assert error in response.json()["Error"]


async def test_time_zone_moves_the_day(api_client: httpx.AsyncClient, api_store: Store) -> None:
    api_store.add(RESET, Envelope("a@example.com", ("b@example.com",)))
    created = api_store.list_messages().messages[0].created
    # The day it is in UTC+14 began before the message came; that day in UTC-11
    # begins at 11:00 UTC, after the message (which came before 10:00 UTC that day).
    day = created.astimezone(ZoneInfo("Pacific/Kiritimati")).date().isoformat()
    east = await search(api_client, f"after:{day}", tz="Pacific/Kiritimati")
    west = await search(api_client, f"after:{day}", tz="Pacific/Pago_Pago")
    assert [m["Subject"] for m in east.json()["messages"]] == [RST]
    assert west.json()["messages"] == []


async def test_delete_by_search(
    api_client: httpx.AsyncClient, api_store: Store, mailbox: dict[str, str]
) -> None:
    response = await api_client.delete("/api/v1/search", params={"query": "to:alice"})
    assert (response.status_code, response.text) == (200, "ok")
    assert [m.id for m in api_store.list_messages().messages] == [mailbox[RST]]
    nothing = await api_client.delete("/api/v1/search", params={"query": "subject:absent"})
    assert (nothing.status_code, api_store.count()) == (200, (1, 0))
    refused = await api_client.delete("/api/v1/search")
    assert (refused.status_code, api_store.count()) == (400, (1, 0))


async def test_read_flags_by_search(
    api_client: httpx.AsyncClient, api_store: Store, mailbox: dict[str, str]
) -> None:
    await api_client.put("/api/v1/messages", json={"Read": True, "Search": "tag:billing"})
    assert api_store.summary(mailbox[INV]).read and api_store.count() == (3, 1)
    await api_client.put("/api/v1/messages", json={"Read": False, "Search": "subject:absent"})
    assert api_store.count() == (3, 1)
    both = {"Read": True, "Search": "x", "IDs": [mailbox[NEWS]]}
    refused = await api_client.put("/api/v1/messages", json=both)
    assert refused.status_code == 400
    bad = await api_client.put("/api/v1/messages", json={"Read": True, "Search": "larger:x"})
    assert (bad.status_code, api_store.count()) == (400, (3, 1))
