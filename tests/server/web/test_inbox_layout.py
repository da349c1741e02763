"""The inbox in Chromium: long subjects, a phone, counts, tag links, undo, the frame's height."""

from __future__ import annotations

import time
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from tests.server.web.inbox_samples import plain_message, rich_message, send

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

pytestmark = pytest.mark.browser

LONG_SUBJECT = (
    "Your order 4411-2 of 12 March has shipped in three parcels: the first by courier today, "
    "the second from the northern warehouse tomorrow, and the last once the backordered "
    "item arrives; track each one with the links inside"
)


@pytest.fixture
def inbox(serve_process: ServeProcess) -> ServeProcess:
    """The module's catcher, emptied before each test."""
    serve_process.request("DELETE", "/api/v1/messages")
    return serve_process


def html_message(subject: str, html: str) -> bytes:
    """Return a message with only an HTML body."""
    message = EmailMessage()
    message["From"] = "News <news@example.com>"
    message["To"] = "reader@example.com"
    message["Subject"] = subject
    message.set_content(html, subtype="html")
    return message.as_bytes()


def total(inbox: ServeProcess) -> int:
    """Return how many messages the store holds."""
    return int(inbox.get("/api/v1/messages?limit=1").json()["total"])


def wait_for_total(inbox: ServeProcess, expected: int, timeout: float = 10.0) -> int:
    """Return the store's total once it is ``expected``, or what it is after ``timeout``."""
    deadline = time.monotonic() + timeout
    while (found := total(inbox)) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def test_a_long_subject_wraps_in_the_list_and_on_its_page(
    inbox: ServeProcess, page: Page, screenshots: Path
) -> None:
    send(inbox.smtp, plain_message(LONG_SUBJECT, "text", tags="shop"))
    page.goto(inbox.url + "/")
    subject = page.locator(".row .subject")
    expect(subject).to_have_text(f"shop {LONG_SUBJECT}")

    hidden = subject.evaluate("el => el.scrollWidth - el.clientWidth")
    lines = subject.evaluate("el => el.getClientRects().length && el.offsetHeight / 20")
    page.screenshot(path=screenshots / "inbox-long-subject.png")
    page.click(f"text={LONG_SUBJECT[:30]}")
    heading = page.locator("h1.subject")

    assert hidden <= 0 and lines >= 2  # all of it shown, over several lines
    assert heading.evaluate("el => el.scrollWidth <= el.clientWidth && el.offsetHeight > 40")


def test_on_a_phone_every_view_tab_is_on_screen(
    inbox: ServeProcess, page: Page, screenshots: Path
) -> None:
    send(inbox.smtp, rich_message("Monthly report"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(inbox.url + "/")
    page.click("text=Monthly report")
    tabs = page.locator(".tabs a")
    expect(tabs).to_have_count(8)  # six views and two checks

    boxes = [tabs.nth(i).bounding_box() for i in range(8)]
    page.screenshot(path=screenshots / "inbox-phone-tabs.png")
    overflow = page.evaluate("document.documentElement.scrollWidth - innerWidth")
    page.click(".tabs >> text=Links")

    assert all(b is not None and b["x"] >= 0 and b["x"] + b["width"] <= 390 for b in boxes), boxes
    assert overflow <= 0
    expect(page.locator(".links a")).to_have_text(["https://example.com/welcome"])


def test_the_count_says_1_message_and_follows_live_changes(
    inbox: ServeProcess, page: Page
) -> None:
    send(inbox.smtp, plain_message("one", "text"))
    page.goto(inbox.url + "/")
    expect(page.locator("#count")).to_have_text("1 message, 1 unread")
    send(inbox.smtp, plain_message("two", "text"))
    expect(page.locator("#count")).to_have_text("2 messages, 2 unread")
    inbox.request("DELETE", "/api/v1/search", params={"query": "subject:two"})

    expect(page.locator("#count")).to_have_text("1 message, 1 unread")


def test_tags_are_links_to_their_search(inbox: ServeProcess, page: Page) -> None:
    send(inbox.smtp, plain_message("Tagged", "text", tags="signup, needs review"))
    send(inbox.smtp, plain_message("Untagged", "text"))
    page.goto(inbox.url + "/")
    tags = page.locator(".row .tag")
    expect(tags).to_have_text(["needs review", "signup"])

    page.click(".row >> text=needs review")
    expect(page).to_have_url(inbox.url + "/?q=tag:%22needs%20review%22")
    expect(page.locator(".row a.open")).to_have_text(["Tagged"])
    page.click("text=Tagged")
    page.click(".headers >> text=signup")

    expect(page).to_have_url(inbox.url + "/?q=tag:signup")
    expect(page.locator(".row a.open")).to_have_text(["Tagged"])


def test_delete_in_the_list_can_be_undone(
    inbox: ServeProcess, page: Page, screenshots: Path
) -> None:
    for subject in ("keep me", "delete me"):
        send(inbox.smtp, plain_message(subject, "text"))
    page.goto(inbox.url + "/")
    page.keyboard.press("j")
    expect(page.locator(".row.selected a.open")).to_have_text("delete me")
    page.keyboard.press("Delete")
    expect(page.locator(".row:visible a.open")).to_have_text(["keep me"])
    expect(page.locator("#undo")).to_contain_text("Deleted “delete me”.")
    page.screenshot(path=screenshots / "inbox-undo-delete.png")
    assert total(inbox) == 2  # nothing is gone while it can be undone

    page.click("#undo >> text=Undo")
    expect(page.locator(".row:visible a.open")).to_have_text(["delete me", "keep me"])
    expect(page.locator("#undo")).to_be_hidden()
    page.keyboard.press("Delete")
    page.keyboard.press("z")
    expect(page.locator(".row:visible a.open")).to_have_text(["delete me", "keep me"])
    page.keyboard.press("Delete")
    page.goto(inbox.url + "/")  # leaving the page deletes what waited

    assert wait_for_total(inbox, 1) == 1
    expect(page.locator(".row a.open")).to_have_text(["keep me"])


def frame_height(page: Page) -> float:
    """Return the height of the message's HTML frame once it has loaded."""
    expect(page.frame_locator("#body-frame").locator("body")).to_be_attached()
    return float(page.locator("#body-frame").evaluate("el => el.getBoundingClientRect().height"))


def inner_height(page: Page) -> float:
    """Return the height of the frame's document (the test driver may look; the inbox may not)."""
    frame = page.frame(url=lambda url: url.endswith("/body.html"))
    assert frame is not None
    return float(frame.evaluate("document.documentElement.scrollHeight"))


def test_the_html_frame_fits_its_content_up_to_the_window(
    inbox: ServeProcess, page: Page, screenshots: Path
) -> None:
    paragraph = "<p>Every line of this newsletter is worth reading, twice or more.</p>"
    send(inbox.smtp, html_message("Short", "<p>Hello, Ann!</p>"))
    send(inbox.smtp, html_message("Medium", paragraph * 12))
    send(inbox.smtp, html_message("Long", paragraph * 300))
    ids = {m["Subject"]: m["ID"] for m in inbox.get("/api/v1/messages").json()["messages"]}
    heights, contents = {}, {}
    for subject, id in ids.items():
        page.goto(f"{inbox.url}/message/{id}")
        heights[subject], contents[subject] = frame_height(page), inner_height(page)
        page.screenshot(path=screenshots / f"inbox-frame-{subject.lower()}.png")

    room = page.evaluate("innerHeight")
    assert heights["Short"] < 200 <= heights["Medium"] < heights["Long"]
    assert contents["Short"] <= heights["Short"] and contents["Medium"] <= heights["Medium"]
    assert room * 0.75 < heights["Long"] <= room  # as tall as the window, scrolling inside
