"""The check tabs in Chromium: each check runs only when its tab is opened."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from tests.server.check.site import serve_site
from tests.server.web.inbox_samples import png, send

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

pytestmark = pytest.mark.browser


def checked_message(site: str) -> bytes:
    """Return an HTML message with a link to ``site``, a flexbox and an image attachment."""
    message = EmailMessage()
    message["From"] = "app@example.com"
    message["To"] = "user@example.com"
    message["Subject"] = "Reset your password"
    message.set_content(f"Reset: {site}/ok?reset")
    message.add_alternative(
        f'<div style="display:flex"><a href="{site}/ok?reset">Reset</a>'
        f'<a href="{site}/missing">Help</a></div><form><input type="text"></form>',
        subtype="html",
    )
    message.add_attachment(png(200, 150), "image", "png", filename="chart.png")
    return message.as_bytes()


def test_link_and_html_checks_run_when_their_tabs_open(
    launch_serve: Callable[..., ServeProcess], page: Page
) -> None:
    served = launch_serve("--allow-internal-http-requests")
    with serve_site() as site:
        send(served.smtp, checked_message(site.url))
        page.goto(served.url + "/message/latest")
        expect(page.locator(".tabs a")).to_contain_text(["Link check", "HTML check"])
        assert site.heard == []  # not asked until the tab is opened
        page.locator(".tabs a", has_text="Link check").click()
        rows = page.locator(".links-checked tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text("200 OK")
        expect(rows.nth(1)).to_contain_text("404 Not Found")
        expect(page.locator(".check-summary")).to_contain_text("2 links checked, 1 with errors")
        assert "HEAD /ok?reset" in site.heard
    page.keyboard.press("8")
    expect(page).to_have_url(served.url + f"/message/{page.url.split('/')[-2]}/html-check")
    expect(page.locator(".check-warnings")).to_contain_text("display:flex")
    expect(page.locator(".check-summary")).to_contain_text("Supported by email clients")
    page.locator(".tabs a", has_text="Attachments").click()
    preview = page.locator("img.preview")
    expect(preview).to_have_attribute(
        "src", f"/api/v1/message/{page.url.split('/')[-2]}/part/2/thumb"
    )
    # The thumbnail is made on request: wait for it to load rather than read it at once.
    # (wait_for_function would evaluate a string, which the inbox's CSP forbids.)
    for _ in range(200):  # at most 20 s
        if preview.evaluate("img => img.complete && img.naturalWidth > 0"):
            break
        page.wait_for_timeout(100)
    assert preview.evaluate("img => img.naturalWidth") == 180


def test_the_link_check_tab_refuses_localhost_without_the_flag(
    serve_process: ServeProcess, page: Page
) -> None:
    with serve_site() as site:
        send(serve_process.smtp, checked_message(site.url))
        page.goto(serve_process.url + "/message/latest/link-check")
        expect(page.locator(".links-checked tbody tr").first).to_contain_text(
            "451 Blocked private/reserved address"
        )
        expect(page.locator(".note")).to_contain_text("--allow-internal-http-requests")
        assert site.heard == []
