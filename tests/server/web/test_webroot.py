"""``--webroot /mail/``: the inbox, the API and the live list under a prefix, in Chromium."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.server.web.inbox_samples import plain_message, rich_message, send

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def rooted(launch_serve: Callable[..., ServeProcess]) -> ServeProcess:
    """A catcher under ``/mail/``."""
    return launch_serve("--webroot", "mail")


def test_every_route_is_under_the_prefix(rooted: ServeProcess) -> None:
    assert rooted.url.endswith("/mail")
    base = rooted.url.removesuffix("/mail")
    assert httpx.get(rooted.url + "/api/v1/messages", timeout=10).json()["total"] == 0
    assert httpx.get(rooted.url + "/livez", timeout=10).text == "ok"
    outside = httpx.get(base + "/api/v1/messages", timeout=10)
    assert outside.status_code == 404
    assert "outside --webroot /mail/" in outside.json()["Error"]
    bare = httpx.get(rooted.url, timeout=10)
    assert (bare.status_code, bare.headers["location"]) == (302, "/mail/")
    send(rooted.smtp, plain_message("Hello", "Hi"))
    latest = httpx.get(rooted.url + "/view/latest", timeout=10)
    assert latest.headers["location"].startswith("/mail/view/")


def test_the_inbox_works_under_the_prefix(rooted: ServeProcess, page: Page) -> None:
    with page.expect_websocket() as socket:
        page.goto(rooted.url + "/")
    kinds: list[str] = []
    socket.value.on("framereceived", lambda payload: kinds.append(json.loads(payload)["Type"]))
    assert socket.value.url.endswith("/mail/api/events")
    send(rooted.smtp, rich_message("Monthly report"))
    row = page.locator(".row", has_text="Monthly report")
    expect(row).to_be_visible()
    assert "new" in kinds
    row.locator("a.open").click()
    expect(page).to_have_url(rooted.url + f"/message/{page.url.rsplit('/', 1)[-1]}")
    frame = page.frame_locator("#body-frame")
    expect(frame.locator("h2")).to_have_text("Monthly report")
    expect(frame.locator("#chart")).to_have_js_property("naturalWidth", 160)
    page.locator(".tabs a", has_text="Attachments").click()
    expect(page.locator("img.preview").first).to_have_js_property("naturalWidth", 180)
    page.locator(".brand").click()
    expect(page).to_have_url(rooted.url + "/")
