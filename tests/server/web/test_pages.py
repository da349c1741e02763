"""The inbox's pages in-process around a real store: policies, escaping, paging, the frame."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import httpx
import pytest

from pochta.server.web.frame import FrameHint, frame_hint
from pochta.server.web.render import human_size, linkify, relative_time, tag_search
from pochta.store import Envelope, Store

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parents[2] / "data"
ENVELOPE = Envelope("a@example.com", ("b@example.com",))
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; connect-src 'self' ws://127.0.0.1:8025 wss://127.0.0.1:8025; "
    "frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'; object-src 'none'"
)


def text_message(subject: str, text: str = "hi") -> bytes:
    """Return a small plain-text message."""
    head = f"From: a@example.com\r\nTo: b@example.com\r\nSubject: {subject}\r\n"
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n").encode()


async def test_every_page_has_the_strict_policy_and_no_inline_code(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    id = api_store.add((DATA / "inline-and-pdf.eml").read_bytes(), ENVELOPE)
    paths = ["/", "/?q=report", "/message/nope", f"/message/{id}"]
    paths += [f"/message/{id}/{view}" for view in ("text", "headers", "raw", "attachments")]
    for path in paths:
        response = await api_client.get(path)
        assert response.headers["content-security-policy"] == PAGE_POLICY, path
        assert response.headers["x-content-type-options"] == "nosniff", path
        scripts = re.findall(r"<script[^>]*>", response.text)
        assert scripts == [f'<script src="{src}" defer>' for src in _script(response.text)]
        assert not re.search(r"\s(on\w+|style)=", response.text), path


def subjects(html: str) -> list[str]:
    """Return the subjects of the rows on a list page (not the row template's)."""
    rows = html[: html.index("<template")]
    return re.findall(r'<a class="open" href="/message/[^"]*">([^<]*)</a>', rows)


def _script(html: str) -> list[str]:
    return re.findall(r'<script src="(/static/inbox\.js\?v=[0-9a-f]{12})" defer>', html)


async def test_the_frame_is_sandboxed_and_blocks_remote_images_until_asked(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    id = api_store.add((DATA / "inline-and-pdf.eml").read_bytes(), ENVELOPE)
    parts = f"http://127.0.0.1:8025/api/v1/message/{id}/part/"
    blocked = await api_client.get(f"/message/{id}/body.html")
    allowed = await api_client.get(f"/message/{id}/body.html?remote=1")
    policy = (
        "sandbox allow-popups allow-popups-to-escape-sandbox; default-src 'none'; "
        "style-src 'unsafe-inline'; img-src {}; font-src data:; form-action 'none'; "
        "base-uri 'none'"
    )
    assert blocked.headers["content-security-policy"] == policy.format(f"data: {parts}")
    assert allowed.headers["content-security-policy"] == policy.format(
        f"data: {parts} https: http:"
    )
    assert (blocked.headers["referrer-policy"], blocked.headers["x-content-type-options"]) == (
        "no-referrer",
        "nosniff",
    )
    chart = next(p.part_id for p in api_store.parsed(id).inline)
    assert blocked.text == (
        '<base target="_blank"><meta name="referrer" content="no-referrer">'
        "<p>See the chart below and the attached PDF.</p>"
        f'<img src="/api/v1/message/{id}/part/{chart}">'
    )


async def test_the_frame_keeps_the_doctype_first_and_unknown_cids_alone(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    html = '<!DOCTYPE html><img src="cid:nobody@example.com"><a href="x">x</a>'
    raw = f"Subject: x\r\nContent-Type: text/html\r\n\r\n{html}\r\n".encode()
    id = api_store.add(raw, ENVELOPE)
    body = (await api_client.get(f"/message/{id}/body.html")).text
    assert body == (
        '<!DOCTYPE html><base target="_blank"><meta name="referrer" content="no-referrer">'
        '<img src="cid:nobody@example.com"><a href="x">x</a>\n'
    )


async def test_text_view_links_urls_and_escapes_everything_else(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    text = 'Reset: https://example.com/r?a=1&b=2. <script>x</script> "https://e.example/"x'
    id = api_store.add(text_message("reset", text), ENVELOPE)
    page = (await api_client.get(f"/message/{id}/text")).text
    body = page[page.index('<pre class="text">') : page.index("</pre>")]
    link = '<a href="{0}" target="_blank" rel="noopener noreferrer">{0}</a>'
    assert body == (
        '<pre class="text">Reset: '
        + link.format("https://example.com/r?a=1&amp;b=2")
        + ". &lt;script&gt;x&lt;/script&gt; &#34;"
        + link.format("https://e.example/")
        + "&#34;x\n"
    )


async def test_raw_view_and_headers_are_escaped(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    id = api_store.add(text_message("<img src=x onerror=alert(1)>", "</pre><b>"), ENVELOPE)
    raw = (await api_client.get(f"/message/{id}/raw")).text
    assert "Subject: &lt;img src=x onerror=alert(1)&gt;" in raw
    assert "&lt;/pre&gt;&lt;b&gt;" in raw
    assert "<img src=x" not in raw
    headers = (await api_client.get(f"/message/{id}/headers")).text
    assert "<td>&lt;img src=x onerror=alert(1)&gt;</td>" in headers


async def test_unknown_messages_and_views_are_404_pages(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    id = api_store.add(text_message("x"), ENVELOPE)
    for path in ("/message/nope", f"/message/{id}/bogus", "/message/a%2Fb", "/message/a.b"):
        response = await api_client.get(path)
        assert (response.status_code, response.headers["content-type"]) == (
            404,
            "text/html; charset=utf-8",
        ), path
    assert (await api_client.get("/message/nope/body.html")).status_code == 404
    assert (await api_client.get("/static/../pages.py")).status_code == 404


async def test_pages_of_fifty_with_newer_and_older_links(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    for number in range(120):
        api_store.add(text_message(f"message {number}"), ENVELOPE)
    first = (await api_client.get("/")).text
    middle = (await api_client.get("/?start=50")).text
    last = (await api_client.get("/?start=100")).text
    assert [subjects(first), subjects(last)] == [
        [f"message {n}" for n in range(119, 69, -1)],
        [f"message {n}" for n in range(19, -1, -1)],
    ]
    assert 'rel="prev"' not in first and 'href="/?start=50">Older' in first
    assert 'href="/?start=0">← Newer' in middle and 'href="/?start=100">Older' in middle
    assert 'href="/?start=50">← Newer' in last and 'rel="next"' not in last
    assert "101–120 of 120" in last


async def test_a_search_keeps_its_query_in_the_page_and_a_bad_one_says_why(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    api_store.add(text_message("Invoice 7"), ENVELOPE)
    api_store.add(text_message("Hello"), ENVELOPE)
    found = await api_client.get("/", params={"q": 'subject:invoice "x'})
    assert 'value="subject:invoice &#34;x"' in found.text
    found = await api_client.get("/", params={"q": "subject:invoice"})
    assert subjects(found.text) == ["Invoice 7"]
    bad = await api_client.get("/", params={"q": "larger:huge"})
    assert bad.status_code == 400
    assert "larger:&#39;huge&#39; is not a size" in bad.text


async def test_only_the_readers_visit_marks_a_message_read(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    id = api_store.add(text_message("x"), ENVELOPE)
    foreign = {"sec-fetch-site": "cross-site", "sec-fetch-dest": "image"}
    assert (await api_client.get(f"/message/{id}", headers=foreign)).status_code == 200
    assert api_store.summary(id).read is False
    own = {"sec-fetch-site": "same-origin", "sec-fetch-dest": "document"}
    await api_client.get(f"/message/{id}", headers=own)
    assert api_store.summary(id).read is True


async def test_links_view_lists_each_link_for_a_new_tab(
    api_client: httpx.AsyncClient, api_store: Store
) -> None:
    html = '<a href="https://a.example/x">a</a><a href="javascript:alert(1)">j</a>'
    raw = f"Subject: x\r\nContent-Type: text/html\r\n\r\n{html} mailto:b@example.com\r\n"
    id = api_store.add(raw.encode(), ENVELOPE)
    page = (await api_client.get(f"/message/{id}/links")).text
    assert re.findall(r'<a href="([^"]*)" target="_blank" rel="noopener noreferrer">', page) == [
        "https://a.example/x",
        "mailto:b@example.com",
    ]


async def test_static_files_are_versioned_and_cached(api_client: httpx.AsyncClient) -> None:
    page = (await api_client.get("/")).text
    for path in re.findall(r'(?:href|src)="(/static/[^"]+)"', page):
        response = await api_client.get(path)
        assert response.status_code == 200
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert (await api_client.get("/static/missing.js")).status_code == 404


def test_sizes_and_times_read_at_a_glance() -> None:
    now = datetime.datetime(2026, 11, 22, 12, 0, tzinfo=datetime.UTC)
    ago = [now - datetime.timedelta(seconds=s) for s in (10, 300, 7300, 200_000, 900_000)]
    assert [relative_time(t, now) for t in ago] == [
        "just now",
        "5 min ago",
        "2 h ago",
        "2 d ago",
        "2026-11-12",
    ]
    assert [human_size(n) for n in (0, 999, 1000, 37_400, 2_300_000)] == [
        "0 B",
        "999 B",
        "1.0 kB",
        "37.4 kB",
        "2.3 MB",
    ]


def test_linkify_cuts_trailing_punctuation() -> None:
    assert str(linkify("(see https://x.example/a).")) == (
        '(see <a href="https://x.example/a" target="_blank" rel="noopener noreferrer">'
        "https://x.example/a</a>)."
    )


def test_the_frame_hint_counts_what_shows_and_nothing_else() -> None:
    html = (
        "<html><head><title>t</title><style>p { color: red }</style></head><body>"
        "<p>Hello,   Ann!</p><div>Two<br>lines</div><img height=300><img src=x>"
        "<script>alert('no')</script></body></html>"
    )

    assert frame_hint(html) == FrameHint(chars=19, breaks=3, pixels=420)


def test_tag_search_links_quote_what_needs_quotes() -> None:
    assert [tag_search(t) for t in ("signup", "needs review", "Тест")] == [
        "/?q=tag:signup",
        "/?q=tag:%22needs%20review%22",
        "/?q=tag:%D0%A2%D0%B5%D1%81%D1%82",
    ]
