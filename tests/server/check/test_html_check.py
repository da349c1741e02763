"""``GET /api/v1/message/{ID}/html-check``: the caniemail data against real HTML."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import httpx
import pytest

from pochta.server.check.html import check_html, count_html
from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio

HTML = """<!doctype html><html><head><style>
@media (prefers-color-scheme: dark) { .card:hover { color: rgb(1, 2, 3) !important } }
</style></head><body>
<div class="card" style="display:flex; margin-left: 2rem">Hello</div>
<form action="/x"><input type="text"></form>
<img src="https://example.com/a.webp"><img src="x.ppm">
<script>alert(1)</script>
</body></html>"""


def store_html(store: Store, html: str | None) -> str:
    """Store a message with ``html`` as its HTML part (text only when None)."""
    message = EmailMessage()
    message["From"] = "app@example.com"
    message["To"] = "user@example.com"
    message["Subject"] = "check"
    message.set_content("text")
    if html is not None:
        message.add_alternative(html, subtype="html")
    return store.add(message.as_bytes(), Envelope("app@example.com", ("user@example.com",)))


def test_features_are_found_in_elements_attributes_and_css() -> None:
    found, nodes, scripts = count_html(HTML)
    for slug in (
        "css-display-flex", "css-margin", "css-unit-rem", "css-at-media",
        "css-at-media-prefers-color-scheme", "css-pseudo-class-hover", "css-rgb",
        "css-important", "css-selector-class", "html-form", "html-input-text",
        "image-webp", "html-doctype", "html-style", "html-div",
    ):  # fmt: skip
        assert found[slug] >= 1, slug
    assert (scripts, nodes) == (1, 7)  # style, div, form, input, img, img, script


async def test_the_answer_has_mailpits_shape(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    answer = await api_client.get(f"/api/v1/message/{store_html(api_store, HTML)}/html-check")
    result: dict[str, Any] = answer.json()
    assert list(result) == ["Warnings", "Platforms", "Total"]
    slugs = [w["Slug"] for w in result["Warnings"]]
    assert {"html-script", "css-display-flex", "html-form", "image-webp"} <= set(slugs)
    assert "html-div" not in slugs  # supported by every client: no warning
    flex = next(w for w in result["Warnings"] if w["Slug"] == "css-display-flex")
    assert list(flex) == [
        "Slug", "Title", "Description", "URL", "Category", "Tags", "Keywords", "Results",
        "NotesByNumber", "Score",
    ]  # fmt: skip
    assert flex["URL"] == "https://www.caniemail.com/features/css-display-flex/"
    assert flex["Score"]["Found"] == 1
    assert 0 < flex["Score"]["Unsupported"] < 100
    assert {r["Support"] for r in flex["Results"]} <= {"yes", "no", "partial"}
    assert "<code>display:inline-flex</code>" in flex["NotesByNumber"]["2"]
    total = result["Total"]
    assert list(total) == ["Tests", "Nodes", "Supported", "Partial", "Unsupported"]
    assert 0 <= total["Supported"] <= 100
    assert total["Supported"] + total["Partial"] + total["Unsupported"] == pytest.approx(100)
    assert "Gmail" in result["Platforms"]["android"]


def test_a_script_alone_is_wholly_unsupported_and_more_markup_weighs_it_down() -> None:
    alone = check_html("<html><body><script>x()</script></body></html>")["Total"]
    assert alone["Unsupported"] == 100
    diluted = check_html("<html><body><script>x()</script><p>a</p><p>b</p></body></html>")
    assert diluted["Total"]["Unsupported"] == pytest.approx(100 / 3, abs=0.01)


async def test_a_message_without_html_is_a_400(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    answer = await api_client.get(f"/api/v1/message/{store_html(api_store, None)}/html-check")
    assert answer.status_code == 400
    assert answer.json() == {"Error": "message does not contain HTML"}
    assert (await api_client.get("/api/v1/message/nope/html-check")).status_code == 404
