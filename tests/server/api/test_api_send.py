"""POST /api/v1/send: Mailpit's JSON body composed with pochta.mail and stored; hostile input."""

from __future__ import annotations

import base64
import email
import email.policy
from pathlib import Path
from typing import Any

import httpx
import pytest

from pochta.server.routes import create_app
from pochta.store import Store

pytestmark = pytest.mark.anyio

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
# Mailpit's SendMessageConfirmation and SendRequest fields (swagger.json).
CONFIRMATION_FIELDS = ["ID"]


def request(**fields: Any) -> dict[str, Any]:
    """Return a valid send body with ``fields`` changed."""
    body: dict[str, Any] = {
        "From": {"Email": "app@example.com", "Name": "App"},
        "To": [{"Email": "user@example.com", "Name": "User"}],
        "Subject": "Welcome",
        "Text": "Hello there",
    }
    body.update(fields)
    return body


async def test_send_stores_a_mailpit_message(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    body = request(
        Cc=[{"Email": "boss@example.com"}],
        Bcc=["audit@example.com"],
        ReplyTo=[{"Email": "help@example.com", "Name": "Help"}],
        HTML='<p>Hello <img src="cid:logo"></p>',
        Attachments=[
            {"Content": base64.b64encode(b"%PDF-1.4").decode(), "Filename": "terms.pdf"},
            {
                "Content": "data:image/png;base64," + base64.b64encode(PNG).decode(),
                "Filename": "logo.png",
                "ContentType": "image/png",
                "ContentID": "logo",
            },
        ],
        Headers={"X-Campaign": "spring"},
        Tags=["Welcome"],
    )
    response = await api_client.post("/api/v1/send", json=body)
    assert response.status_code == 200
    assert sorted(response.json()) == CONFIRMATION_FIELDS
    message_id = response.json()["ID"]
    summary = api_store.summary(message_id)
    assert (summary.subject, summary.envelope.source) == ("Welcome", "api")
    recipients = ("user@example.com", "boss@example.com", "audit@example.com")
    assert summary.envelope.rcpt_tos == recipients
    shown = (await api_client.get(f"/api/v1/message/{message_id}")).json()
    assert shown["From"] == {"Name": "App", "Address": "app@example.com"}
    assert shown["To"] == [{"Name": "User", "Address": "user@example.com"}]
    assert shown["Cc"] == [{"Name": "", "Address": "boss@example.com"}]
    assert shown["Bcc"] == [{"Name": "", "Address": "audit@example.com"}]
    assert shown["ReplyTo"] == [{"Name": "Help", "Address": "help@example.com"}]
    assert (shown["Text"].strip(), shown["HTML"].strip()) == (
        "Hello there",
        '<p>Hello <img src="cid:logo"></p>',
    )
    assert [(a["FileName"], a["ContentType"]) for a in shown["Attachments"]] == [
        ("terms.pdf", "application/pdf")
    ]
    assert [(a["FileName"], a["ContentID"], a["Size"]) for a in shown["Inline"]] == [
        ("logo.png", "logo", len(PNG))
    ]
    headers = (await api_client.get(f"/api/v1/message/{message_id}/headers")).json()
    assert (headers["X-Campaign"], headers["X-Tags"]) == (["spring"], ["Welcome"])
    raw = api_store.raw(message_id)
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


async def test_hostile_attachment_name_is_kept_as_data(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    content = base64.b64encode(b"x").decode()
    attachment = {"Content": content, "Filename": "../../etc/passwd"}
    response = await api_client.post("/api/v1/send", json=request(Attachments=[attachment]))
    message_id = response.json()["ID"]
    part = await api_client.get(f"/api/v1/message/{message_id}/part/2")
    assert part.content == b"x"
    assert part.headers["content-disposition"].startswith('attachment; filename="passwd"')


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"Subject": "hi\r\nBcc: victim@example.com"}, "Subject"),
        ({"From": {"Email": "a@example.com", "Name": "A\r\nX-Evil: 1"}}, ""),
        ({"To": [{"Email": "user@example.com\r\nBcc: v@example.com"}]}, "To"),
        ({"To": [{"Email": "not an address"}]}, "To"),
        ({"Bcc": ["a@example.com, b@example.com"]}, "Bcc"),
        ({"Headers": {"X-Ok": "fine\r\nBcc: victim@example.com"}}, "X-Ok"),
        ({"Headers": {"Bad Name:": "x"}}, ""),
        ({"Headers": {"Subject": "other"}}, "cannot overwrite header"),
        ({"Headers": {"x-tags": "a"}, "Tags": ["b"]}, "cannot overwrite header"),
        ({"Attachments": [{"Content": "!!!", "Filename": "a.bin"}]}, "base64"),
        ({"Attachments": [{"Content": "eA==", "Filename": "a\r\n.txt"}]}, ""),
        ({"Attachments": [{"Content": "eA==", "Filename": "a", "ContentID": "x\r\ny"}]}, ""),
        ({"Attachments": [{"Content": "eA==", "Filename": "a", "ContentType": "bad"}]}, "bad"),
        ({"From": None}, "From"),
    ],
)
async def test_hostile_send_is_400_and_stores_nothing(
    api_client: httpx.AsyncClient, api_store: Store, fields: dict[str, Any], error: str
) -> None:
    body = request(**fields)
    if body["From"] is None:
        del body["From"]
    response = await api_client.post("/api/v1/send", json=body)
    assert response.status_code == 400, response.text
    assert error in response.json()["Error"]
    assert api_store.count() == (0, 0)


@pytest.mark.parametrize("content", [b"", b"{not json", b"[]", b'{"From": "a@example.com"}'])
async def test_malformed_send_body_is_400(
    api_client: httpx.AsyncClient, api_store: Store, content: bytes
) -> None:
    response = await api_client.post("/api/v1/send", content=content)
    assert response.status_code == 400
    assert list(response.json()) == ["Error"]
    assert api_store.count() == (0, 0)


async def test_send_takes_bodies_up_to_the_message_size(tmp_path: Path, api_store: Store) -> None:
    # Other routes stop at 1 MiB; send takes up to --max-message-size, then 413.
    app = create_app(api_store, send_limit=3 * 1024 * 1024)
    transport = httpx.ASGITransport(app=app)
    big = base64.b64encode(b"x" * (1536 * 1024)).decode()
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        attachment = {"Content": big, "Filename": "big.bin"}
        ok = await client.post("/api/v1/send", json=request(Attachments=[attachment]))
        assert ok.status_code == 200
        twice = [attachment, attachment]
        refused = await client.post("/api/v1/send", json=request(Attachments=twice))
        assert refused.status_code == 413
        other = await client.request("DELETE", "/api/v1/messages", content=b" " * (1024 * 1025))
        assert other.status_code == 413
    assert api_store.count() == (1, 1)


async def test_utf8_names_and_subject_round_trip(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    body = request(
        From={"Email": "app@example.com", "Name": "Почта"}, Subject="Привет, мир", Text="тест"
    )
    message_id = (await api_client.post("/api/v1/send", json=body)).json()["ID"]
    parsed = email.message_from_bytes(api_store.raw(message_id), policy=email.policy.default)
    assert (str(parsed["Subject"]), parsed["From"].addresses[0].display_name) == (
        "Привет, мир",
        "Почта",
    )
    head, _, text = api_store.raw(message_id).partition(b"\r\n\r\n")
    assert head.isascii() and text.decode() == "тест\r\n"
