"""The message routes of the JSON API, in-process around a real store, with Mailpit's fields."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx
import pytest

from pochta.store import Envelope, Store
from tests.message.test_bulk import DATA as ATTACHED
from tests.message.test_bulk import large

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parents[2] / "data"
REPORT = (DATA / "inline-and-pdf.eml").read_bytes()
PDF = base64.b64decode(
    "JVBERi0xLjQKMSAwIG9iaiA8PCAvVHlwZSAvQ2F0YWxvZyA+PiBlbmRvYmoKdHJhaWxlciA8PCAv"
    "Um9vdCAxIDAgUiA+PgolJUVPRgo="
)
HOSTILE = (
    b"From: a@example.com\r\nTo: b@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nbody\r\n"
    b'--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename="../../x"'
    b"\r\n\r\n<script>alert(1)</script>\r\n"
    b"--b\r\nContent-Type: application/octet-stream\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''%0D%0Aevil%22.txt\r\n\r\nabc\r\n"
    b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n"
    b"Content-Disposition: attachment; filename*=utf-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.txt\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\n\xd0\xbe\r\n"
    b'--b\r\nContent-Type: Bad Type\r\nContent-Disposition: attachment; filename="..\\\\.."'
    b"\r\n\r\n<svg/>\r\n"
    b"--b--\r\n"
)


def plain(subject: str) -> bytes:
    """Return a small message with ``subject``."""
    return f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\n\r\nhi\r\n".encode()


def add_report(store: Store) -> str:
    """Store the report fixture as sent by an app logged in as ``app``, with a Bcc."""
    envelope = Envelope(
        "reports@example.com", ("boss@example.org", "audit@example.net"), auth_user="app"
    )
    return store.add(REPORT, envelope)


def envelope() -> Envelope:
    """Return a plain envelope."""
    return Envelope("a@example.com", ("b@example.com",))


async def test_list_has_mailpit_shape(api_client: httpx.AsyncClient, api_store: Store) -> None:
    message_id = add_report(api_store)
    created = (await api_client.get("/api/v1/messages")).json()["messages"][0]["Created"]
    response = await api_client.get("/api/v1/messages")
    assert response.status_code == 200
    assert response.json() == {
        "total": 1,
        "unread": 1,
        "count": 1,
        "messages_count": 1,
        "messages_unread": 1,
        "start": 0,
        "tags": [],
        "messages": [
            {
                "ID": message_id,
                "MessageID": "report-1@example.com",
                "Read": False,
                "From": {"Name": "Reports", "Address": "reports@example.com"},
                "To": [{"Name": "", "Address": "boss@example.org"}],
                "Cc": [],
                "Bcc": [{"Name": "", "Address": "audit@example.net"}],
                "ReplyTo": [],
                "Subject": "Monthly report",
                "Created": created,
                "Username": "app",
                "Tags": [],
                "Size": len(REPORT),
                "Attachments": 1,
                "Snippet": "See the chart below and the attached PDF.",
            }
        ],
    }
    assert created.endswith("Z") and created.startswith("20")


async def test_list_pages_newest_first(api_client: httpx.AsyncClient, api_store: Store) -> None:
    for subject in ("one", "two", "three"):
        api_store.add(plain(subject), envelope())
    page = (await api_client.get("/api/v1/messages", params={"start": 1, "limit": 1})).json()
    assert [m["Subject"] for m in page["messages"]] == ["two"]
    assert (page["total"], page["count"], page["start"]) == (3, 1, 1)


@pytest.mark.parametrize("query", ["start=-1", "limit=0", "limit=abc", "start=1.5"])
async def test_bad_paging_is_400(api_client: httpx.AsyncClient, query: str) -> None:
    response = await api_client.get(f"/api/v1/messages?{query}")
    assert response.status_code == 400
    assert list(response.json()) == ["Error"]


async def test_message_has_mailpit_shape_and_is_marked_read(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    message_id = add_report(api_store)
    response = await api_client.get(f"/api/v1/message/{message_id}")
    assert response.status_code == 200
    body = response.json()
    chart, pdf = body.pop("Inline"), body.pop("Attachments")
    assert body == {
        "ID": message_id,
        "MessageID": "report-1@example.com",
        "From": {"Name": "Reports", "Address": "reports@example.com"},
        "To": [{"Name": "", "Address": "boss@example.org"}],
        "Cc": [],
        "Bcc": [{"Name": "", "Address": "audit@example.net"}],
        "ReplyTo": [],
        "ReturnPath": "reports@example.com",
        "Subject": "Monthly report",
        "ListUnsubscribe": {"Header": "", "Links": [], "Errors": "", "HeaderPost": ""},
        "Date": "2026-02-05T12:30:00-05:00",
        "Tags": [],
        "Username": "app",
        "Text": "See the chart below and the attached PDF.",
        "HTML": (
            '<p>See the chart below and the attached PDF.</p><img src="cid:chart@example.com">'
        ),
        "Size": len(REPORT),
    }
    assert [(a["PartID"], a["FileName"], a["ContentType"], a["ContentID"]) for a in chart] == [
        ("1.2", "chart.png", "image/png", "chart@example.com")
    ]
    assert pdf == [
        {
            "PartID": "2",
            "FileName": "report.pdf",
            "ContentType": "application/pdf",
            "ContentID": "",
            "Size": len(PDF),
            "Checksums": {
                "MD5": "b4f625ac8a9eae1ad6a73d7670517539",
                "SHA1": "78eadb967288318ba63fb1484d1dce71567f2815",
                "SHA256": "56c2ac043c28d3543275a6f50b593a6beb0b6888ed8159ac02e3e7f4a32ccb26",
            },
        }
    ]
    listed = (await api_client.get("/api/v1/messages")).json()
    assert (listed["unread"], listed["messages"][0]["Read"]) == (0, True)


async def test_latest_names_the_newest(api_client: httpx.AsyncClient, api_store: Store) -> None:
    api_store.add(plain("old"), envelope())
    newest = api_store.add(plain("new"), envelope())
    assert (await api_client.get("/api/v1/message/latest")).json()["ID"] == newest
    assert (await api_client.get("/api/v1/message/latest/raw")).content == plain("new")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/message/latest",
        "/api/v1/message/NoSuchId123/raw",
        "/api/v1/message/NoSuchId123/headers",
        "/api/v1/message/NoSuchId123/part/1",
        "/api/v1/message/..%2F..%2Fetc/raw",
        "/api/v1/message/a%00b",
    ],
)
async def test_unknown_id_is_404(api_client: httpx.AsyncClient, path: str) -> None:
    response = await api_client.get(path)
    assert response.status_code == 404
    assert list(response.json()) == ["Error"]


async def test_unknown_part_is_404(api_client: httpx.AsyncClient, api_store: Store) -> None:
    message_id = add_report(api_store)
    for part in ("9", "../1", "1.2.3.4.5.x"):
        response = await api_client.get(f"/api/v1/message/{message_id}/part/{part}")
        assert response.status_code == 404, part


async def test_raw_is_byte_exact(api_client: httpx.AsyncClient, api_store: Store) -> None:
    raw = b"Subject: caf\xc3\xa9\r\nX-Odd: \xff\xfe\r\n\r\nline\r\n..dot\r\n\r\n"
    message_id = api_store.add(raw, envelope())
    response = await api_client.get(f"/api/v1/message/{message_id}/raw")
    assert response.content == raw
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    download = await api_client.get(f"/api/v1/message/{message_id}/raw?dl=1")
    assert download.headers["content-disposition"] == f'attachment; filename="{message_id}.eml"'


async def test_part_download_is_exact_and_inert(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    message_id = add_report(api_store)
    response = await api_client.get(f"/api/v1/message/{message_id}/part/2")
    assert response.content == PDF
    assert {k: response.headers[k] for k in ("content-type", "content-disposition")} == {
        "content-type": "application/pdf",
        "content-disposition": "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf",
    }
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"


async def test_hostile_file_names_are_served_safely(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    message_id = api_store.add(HOSTILE, envelope())
    answers = []
    for part in ("2", "3", "4", "5"):
        response = await api_client.get(f"/api/v1/message/{message_id}/part/{part}")
        answers.append((response.headers["content-type"], response.headers["content-disposition"]))
    assert answers == [
        ("text/html", "attachment; filename=\"x\"; filename*=UTF-8''x"),
        (
            "application/octet-stream",
            "attachment; filename=\"evil_.txt\"; filename*=UTF-8''evil%22.txt",
        ),
        (
            "text/plain",
            'attachment; filename="_____.txt"; '
            "filename*=UTF-8''%D0%BE%D1%82%D1%87%D1%91%D1%82.txt",
        ),
        # a malformed Content-Type is read as text/plain (RFC 2045 5.2)
        ("text/plain", "attachment; filename=\"part-5.txt\"; filename*=UTF-8''part-5.txt"),
    ]


async def test_headers_route(api_client: httpx.AsyncClient, api_store: Store) -> None:
    message_id = api_store.add(
        b"To: a@x.test\r\nReceived: 1\r\nReceived: 2\r\n\r\nhi\r\n", envelope()
    )
    response = await api_client.get(f"/api/v1/message/{message_id}/headers")
    assert response.json() == {"Received": ["1", "2"], "To": ["a@x.test"]}


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/x-www-form-urlencoded", None]
)
async def test_delete_by_ids(
    api_client: httpx.AsyncClient, api_store: Store, content_type: str | None
) -> None:
    # Mailpit reads the body as JSON whatever the Content-Type (curl -d sends a form's)
    keep = api_store.add(plain("keep"), envelope())
    drop = api_store.add(plain("drop"), envelope())
    headers = {"content-type": content_type} if content_type else {}
    body = json.dumps({"IDs": [drop]}).encode()
    response = await api_client.request(
        "DELETE", "/api/v1/messages", content=body, headers=headers
    )
    assert (response.status_code, response.text) == (200, "ok")
    assert [m["ID"] for m in (await api_client.get("/api/v1/messages")).json()["messages"]] == [
        keep
    ]


@pytest.mark.parametrize("body", [None, {}, {"IDs": []}])
async def test_delete_without_ids_deletes_all(
    api_client: httpx.AsyncClient, api_store: Store, body: object
) -> None:
    api_store.add(plain("one"), envelope())
    api_store.add(plain("two"), envelope())
    response = await api_client.request("DELETE", "/api/v1/messages", json=body)
    assert response.status_code == 200
    assert api_store.count() == (0, 0)


@pytest.mark.parametrize("content", [b"{not json", b'{"IDs": "abc"}', b"[1]"])
async def test_delete_with_a_bad_body_deletes_nothing(
    api_client: httpx.AsyncClient, api_store: Store, content: bytes
) -> None:
    api_store.add(plain("one"), envelope())
    response = await api_client.request(
        "DELETE", "/api/v1/messages", content=content, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert api_store.count() == (1, 1)


async def test_set_read_flags(api_client: httpx.AsyncClient, api_store: Store) -> None:
    first = api_store.add(plain("one"), envelope())
    api_store.add(plain("two"), envelope())
    await api_client.put("/api/v1/messages", json={"Read": True, "IDs": [first]})
    assert api_store.count() == (2, 1)
    await api_client.put("/api/v1/messages", json={"Read": True})
    assert api_store.count() == (2, 0)
    await api_client.put("/api/v1/messages", json={"Read": False})
    assert api_store.count() == (2, 2)


async def test_a_large_part_downloads_whole_as_it_is_decoded(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    message_id = api_store.add(large(), Envelope("app@example.com", ("user@example.com",)))
    answer = await api_client.get(f"/api/v1/message/{message_id}/part/2")
    assert (answer.status_code, answer.headers["content-length"], answer.content) == (
        200,
        str(len(ATTACHED)),
        ATTACHED,
    )
