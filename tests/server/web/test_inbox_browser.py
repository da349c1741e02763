"""The inbox in Chromium against a real ``pochta serve``: live list, search, views, downloads."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from tests.server.web.inbox_samples import PDF, plain_message, recorder, rich_message, send

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def inbox(serve_process: ServeProcess) -> ServeProcess:
    """The module's catcher, emptied before each test."""
    serve_process.request("DELETE", "/api/v1/messages")
    return serve_process


def wait_for_total(inbox: ServeProcess, expected: int, timeout: float = 10.0) -> int:
    """Return the store's total once it is ``expected``, or what it is after ``timeout``."""
    deadline = time.monotonic() + timeout
    while (found := inbox.get("/api/v1/messages").json()["total"]) != expected:
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return int(found)


def newest_id(inbox: ServeProcess) -> str:
    """Return the id of the newest stored message."""
    return str(inbox.get("/api/v1/messages?limit=1").json()["messages"][0]["ID"])


def test_new_mail_appears_in_the_open_list(inbox: ServeProcess, page: Page) -> None:
    with page.expect_websocket() as socket:
        page.goto(inbox.url + "/")
    kinds: list[str] = []
    socket.value.on("framereceived", lambda payload: kinds.append(json.loads(payload)["Type"]))
    assert socket.value.url == inbox.url.replace("http", "ws") + "/api/events"
    expect(page.locator("#empty")).to_be_visible()
    send(inbox.smtp, plain_message("Welcome aboard", "Hello!", tags="signup"))
    row = page.locator(".row", has_text="Welcome aboard")
    expect(row).to_be_visible()
    expect(row.locator(".tag")).to_have_text(["signup"])
    expect(row).to_have_class(re.compile(r"\bunread\b"))
    expect(row.locator(".from")).to_have_text("App")
    expect(page).to_have_title("(1) pochta")
    expect(page.locator("#empty")).to_be_hidden()
    assert "new" in kinds


def test_changes_made_elsewhere_show_in_the_open_list(inbox: ServeProcess, page: Page) -> None:
    for subject in ("kept", "read elsewhere", "deleted elsewhere"):
        send(inbox.smtp, plain_message(subject, "text"))
    ids = {m["Subject"]: m["ID"] for m in inbox.get("/api/v1/messages").json()["messages"]}
    page.goto(inbox.url + "/")
    expect(page).to_have_title("(3) pochta")
    inbox.request("PUT", "/api/v1/messages", json={"Read": True, "IDs": [ids["read elsewhere"]]})
    expect(page.locator(".row.unread .subject")).to_have_text(["deleted elsewhere", "kept"])
    inbox.request("DELETE", "/api/v1/messages", json={"IDs": [ids["deleted elsewhere"]]})
    expect(page.locator(".row .subject")).to_have_text(["read elsewhere", "kept"])
    expect(page).to_have_title("(1) pochta")
    inbox.request("DELETE", "/api/v1/messages")
    expect(page.locator(".row")).to_have_count(0)
    expect(page.locator("#empty")).to_be_visible()
    expect(page).to_have_title("pochta")


def test_list_still_updates_when_the_event_socket_is_refused(
    inbox: ServeProcess, page: Page
) -> None:
    page.route_web_socket("**/api/events", lambda socket: socket.close())
    page.goto(inbox.url + "/")
    send(inbox.smtp, plain_message("Polled in", "Hello!"))
    expect(page.locator(".row .subject")).to_have_text(["Polled in"])
    expect(page).to_have_title("(1) pochta")


def test_a_search_page_offers_a_refresh_when_mail_arrives(inbox: ServeProcess, page: Page) -> None:
    send(inbox.smtp, plain_message("Invoice 1", "Pay me."))
    page.goto(inbox.url + "/?q=invoice")
    expect(page.locator(".row")).to_have_count(1)
    send(inbox.smtp, plain_message("Invoice 2", "Pay me."))
    expect(page.locator("#new-mail")).to_be_visible()
    page.click("#new-mail a")
    expect(page.locator(".row .subject")).to_have_text(["Invoice 2", "Invoice 1"])


def test_search_narrows_the_list_and_keeps_the_query_in_the_url(
    inbox: ServeProcess, page: Page
) -> None:
    send(inbox.smtp, plain_message("Invoice 42", "Pay me."))
    send(inbox.smtp, plain_message("Password reset", "Click."))
    page.goto(inbox.url + "/")
    expect(page.locator(".row")).to_have_count(2)
    page.keyboard.press("/")
    page.keyboard.type("subject:invoice")
    page.keyboard.press("Enter")
    expect(page).to_have_url(inbox.url + "/?q=subject%3Ainvoice")
    expect(page.locator(".row .subject")).to_have_text(["Invoice 42"])
    expect(page.locator(".search input")).to_have_value("subject:invoice")
    page.goto(inbox.url + "/?q=is%3Anonsense")
    expect(page.locator(".problem")).to_contain_text("unknown flag")


def test_each_view_shows_its_part_of_a_rich_message(
    inbox: ServeProcess, page: Page, screenshots: Path
) -> None:
    send(inbox.smtp, rich_message("Monthly report"))
    id = newest_id(inbox)
    with page.expect_response(lambda r: "/part/" in r.url) as image:
        page.goto(f"{inbox.url}/message/{id}")
    assert (image.value.status, image.value.headers["content-type"]) == (200, "image/png")
    expect(page.locator("h1.subject")).to_have_text("Monthly report")
    headers = page.locator(".headers")
    for text in ("Reports <reports@example.com>", "Boss <boss@example.org>", "team@example.org"):
        expect(headers).to_contain_text(text)
    expect(headers).to_contain_text("noreply@example.com")
    body = page.frame_locator("#body-frame")
    expect(body.locator("h2")).to_have_text("Monthly report")
    expect(body.locator("#chart")).to_have_attribute("src", re.compile(rf"/message/{id}/part/"))
    page.click(".tabs >> text=Text")
    expect(page.locator("pre.text")).to_contain_text("Plain text of the report.")
    page.click(".tabs >> text=Headers")
    expect(page.locator(".all-headers")).to_contain_text("multipart/mixed")
    page.click(".tabs >> text=Raw")
    expect(page.locator("pre.raw")).to_contain_text("Content-Type: application/pdf")
    page.click(".tabs >> text=Attachments")
    expect(page.locator(".files li")).to_have_count(2)
    expect(page.locator(".files")).to_contain_text("report.pdf")
    expect(page.locator("img.preview")).to_have_js_property("naturalWidth", 180)  # the thumbnail
    page.screenshot(path=screenshots / "inbox-attachments.png")
    page.click(".tabs >> text=Links")
    expect(page.locator(".links a")).to_have_text(["https://example.com/welcome"])


def test_attachment_and_source_download_byte_exact(
    inbox: ServeProcess, page: Page, tmp_path: Path
) -> None:
    raw = rich_message("With a PDF")
    send(inbox.smtp, raw)
    id = newest_id(inbox)
    page.goto(f"{inbox.url}/message/{id}/attachments")
    with page.expect_download() as pdf:
        page.click("text=report.pdf")
    assert pdf.value.suggested_filename == "report.pdf"
    pdf.value.save_as(tmp_path / "report.pdf")
    assert (tmp_path / "report.pdf").read_bytes() == PDF
    with page.expect_download() as eml:
        page.click("text=Download .eml")
    assert eml.value.suggested_filename == f"{id}.eml"
    eml.value.save_as(tmp_path / "message.eml")
    source = inbox.get(f"/api/v1/message/{id}/raw").content
    assert (tmp_path / "message.eml").read_bytes() == source


def test_reset_link_in_plain_text_is_one_click_away(inbox: ServeProcess, page: Page) -> None:
    with recorder() as (site, paths):
        link = f"{site}/reset/MQ/c8k2m4-token/"
        send(inbox.smtp, plain_message("Reset your password", f"Go to {link}.\nThanks"))
        page.goto(inbox.url + "/")
        page.click("text=Reset your password")
        expect(page.locator(".tabs [aria-current=page]")).to_have_text("Text")
        anchor = page.locator("pre.text a")
        expect(anchor).to_have_attribute("rel", "noopener noreferrer")
        with page.context.expect_page() as opened:
            anchor.click()
        opened.value.wait_for_load_state()
        visited = [path for path in paths if path != "/favicon.ico"]
        assert (opened.value.url, visited) == (link, ["/reset/MQ/c8k2m4-token/"])


def test_keyboard_moves_opens_deletes_and_shows_help(
    inbox: ServeProcess, page: Page, screenshots: Path
) -> None:
    for subject in ("first", "second", "third"):
        send(inbox.smtp, plain_message(subject, "text"))
    page.goto(inbox.url + "/")
    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    expect(page.locator("#help")).to_contain_text("Delete")
    page.screenshot(path=screenshots / "inbox-help.png")
    page.keyboard.press("Escape")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(page.locator(".row.selected .subject")).to_have_text("third")
    page.keyboard.press("Delete")
    expect(page.locator(".row:visible .subject")).to_have_text(["second", "first"])
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator("h1.subject")).to_have_text("first")
    # The delete waited for its undo notice; leaving the list carried it out.
    assert wait_for_total(inbox, 2) == 2
    page.keyboard.press("u")
    expect(page).to_have_url(inbox.url + "/")


def test_read_state_and_delete_all_with_confirmation(inbox: ServeProcess, page: Page) -> None:
    send(inbox.smtp, plain_message("one", "text"))
    send(inbox.smtp, plain_message("two", "text"))
    page.goto(inbox.url + "/")
    expect(page).to_have_title("(2) pochta")
    page.click("text=two")
    expect(page.locator("[data-action=toggle-read]")).to_have_text("Mark unread")
    assert inbox.get("/api/v1/messages").json()["unread"] == 1
    page.click("[data-action=toggle-read]")
    expect(page.locator("[data-action=toggle-read]")).to_have_text("Mark read")
    expect(page).to_have_title(re.compile(r"^\(2\) two"))
    page.click("text=← Inbox")
    page.click("[data-action=delete-all]")
    page.click("#confirm-delete-all >> text=Cancel")
    assert inbox.get("/api/v1/messages").json()["total"] == 2
    page.click("[data-action=delete-all]")
    page.click("#confirm-delete-all >> text=Delete all")
    expect(page.locator("#empty")).to_be_visible()
    expect(page).to_have_title("pochta")
    assert inbox.get("/api/v1/messages").json()["total"] == 0


def test_screenshots_of_list_message_and_dark_theme(
    inbox: ServeProcess, page: Page, screenshots: Path
) -> None:
    send(inbox.smtp, plain_message("Reset your password", "https://example.com/reset/abc"))
    shipped = plain_message(
        "Your order has shipped", "Tracking: 1Z999", to="a@example.org", tags="shop, orders"
    )
    send(inbox.smtp, shipped)
    send(inbox.smtp, rich_message("Monthly report"))
    page.goto(inbox.url + "/")
    page.click("text=Reset your password")
    page.goto(inbox.url + "/")
    expect(page.locator(".row")).to_have_count(3)
    page.screenshot(path=screenshots / "inbox-list.png", full_page=True)
    page.click("text=Monthly report")
    expect(page.frame_locator("#body-frame").locator("h2")).to_be_visible()
    page.screenshot(path=screenshots / "inbox-message.png", full_page=True)
    page.emulate_media(color_scheme="dark")
    page.screenshot(path=screenshots / "inbox-message-dark.png", full_page=True)
    page.goto(inbox.url + "/")
    page.screenshot(path=screenshots / "inbox-list-dark.png", full_page=True)
    page.set_viewport_size({"width": 390, "height": 760})
    page.screenshot(path=screenshots / "inbox-list-phone-dark.png", full_page=True)
    page.click("text=Monthly report")
    page.emulate_media(color_scheme="light")
    page.screenshot(path=screenshots / "inbox-message-phone.png", full_page=True)
    page.emulate_media(color_scheme="dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 23, 27)"
