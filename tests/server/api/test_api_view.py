"""/view/{ID}.html and .txt: the bodies, served inert; cid: images; embed; /view/latest."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio

REPORT = (Path(__file__).parents[2] / "data" / "inline-and-pdf.eml").read_bytes()
HTML_ONLY = (
    b"From: a@example.com\r\nTo: b@example.com\r\nSubject: html\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b'<p>Hi <a href="https://example.com/reset?t=1">reset</a>'
    b"<A HREF='https://example.com/b'>b</A><abbr>x</abbr></p><script>alert(1)</script>\r\n"
)
TEXT_ONLY = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: text\r\n\r\nplain words\r\n"


def add(store: Store, raw: bytes) -> str:
    """Store ``raw`` with a plain envelope."""
    return store.add(raw, Envelope("a@example.com", ("b@example.com",)))


async def test_html_is_served_inert_with_cid_images_linked(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    message_id = add(api_store, REPORT)
    response = await api_client.get(f"/view/{message_id}.html")
    assert response.status_code == 200
    assert response.text == (
        "<p>See the chart below and the attached PDF.</p>"
        f'<img src="/api/v1/message/{message_id}/part/1.2">'
    )
    assert {k: response.headers[k] for k in ("content-type", "x-content-type-options")} == {
        "content-type": "text/html; charset=utf-8",
        "x-content-type-options": "nosniff",
    }
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"] == (
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data: cid: http://127.0.0.1:8025/api/v1/message/; "
        "font-src data:; form-action 'none'; frame-ancestors 'self'; base-uri 'none'"
    )
    image = await api_client.get(f"/api/v1/message/{message_id}/part/1.2")
    assert image.headers["content-type"] == "image/png"


async def test_reading_a_view_marks_the_message_read(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    # Mailpit marks a message read when /view/ renders it; so does pochta.
    html_id, text_id = add(api_store, HTML_ONLY), add(api_store, TEXT_ONLY)
    await api_client.get(f"/view/{html_id}.html")
    assert api_store.count() == (2, 1)
    await api_client.get(f"/view/{text_id}.txt")
    assert api_store.count() == (2, 0)


async def test_embed_opens_links_in_a_new_tab(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    message_id = add(api_store, HTML_ONLY)
    plain = (await api_client.get(f"/view/{message_id}.html")).text
    embedded = (await api_client.get(f"/view/{message_id}.html?embed=1")).text
    assert plain == HTML_ONLY.split(b"\r\n\r\n", 1)[1].decode().replace("\r\n", "\n")
    new_tab = '<a target="_blank" rel="noreferrer noopener"'
    assert embedded == (
        f'<p>Hi {new_tab} href="https://example.com/reset?t=1">reset</a>'
        f"{new_tab} HREF='https://example.com/b'>b</A><abbr>x</abbr></p>"
        "<script>alert(1)</script>\n"
    )


async def test_text_view(api_client: httpx.AsyncClient, api_store: Store) -> None:
    message_id = add(api_store, TEXT_ONLY)
    response = await api_client.get(f"/view/{message_id}.txt")
    assert (response.status_code, response.text) == (200, "plain words\n")
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["content-security-policy"] == "sandbox"
    html_only = add(api_store, HTML_ONLY)
    assert (await api_client.get(f"/view/{html_only}.txt")).text == ""


async def test_html_view_of_a_text_message_is_404(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    message_id = add(api_store, TEXT_ONLY)
    response = await api_client.get(f"/view/{message_id}.html")
    assert response.status_code == 404
    assert "no HTML part" in response.json()["Error"]
    assert api_store.count() == (1, 0)


@pytest.mark.parametrize(
    "path", ["/view/NoSuchId.html", "/view/NoSuchId.txt", "/view/..%2Fx.html", "/view/latest.txt"]
)
async def test_unknown_view_is_404(api_client: httpx.AsyncClient, path: str) -> None:
    response = await api_client.get(path)
    assert response.status_code == 404
    assert list(response.json()) == ["Error"]


async def test_latest_redirects_to_the_newest_view(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    empty = await api_client.get("/view/latest")
    assert (empty.status_code, empty.headers["location"]) == (302, "/")
    html_id = add(api_store, HTML_ONLY)
    response = await api_client.get("/view/latest")
    assert (response.status_code, response.headers["location"]) == (302, f"/view/{html_id}.html")
    text_id = add(api_store, TEXT_ONLY)
    response = await api_client.get("/view/latest")
    assert response.headers["location"] == f"/view/{text_id}.txt"
    assert (await api_client.get(f"/view/{html_id}.html")).status_code == 200
    assert (await api_client.get("/view/latest.txt")).text == "plain words\n"


@pytest.mark.parametrize("host", ["127.0.0.1:8025 img.evil", "[::1]:x"])
async def test_a_host_with_a_bad_port_is_not_ours(
    api_client: httpx.AsyncClient, host: str
) -> None:
    response = await api_client.get("/view/latest", headers={"host": host})
    assert response.status_code == 421
