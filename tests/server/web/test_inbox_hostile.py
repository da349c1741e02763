"""A hostile message opened in the inbox runs nothing, calls nothing and loads nothing unasked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, Request, expect

from tests.server.web.inbox_samples import hostile_message, recorder, send

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def hostile(serve_process: ServeProcess) -> Iterator[tuple[ServeProcess, str, str, list[str]]]:
    """The catcher holding one hostile message; yield it, the id, the recorder's URL and log."""
    serve_process.request("DELETE", "/api/v1/messages")
    with recorder() as (remote, paths):
        send(serve_process.smtp, hostile_message(serve_process.url, remote))
        listed = serve_process.get("/api/v1/messages").json()["messages"]
        yield serve_process, listed[0]["ID"], remote, paths


def watch(page: Page) -> tuple[list[str], list[str], list[str], list[str]]:
    """Record dialogs, requests served, requests refused and main-frame navigations."""
    dialogs: list[str] = []
    refused: list[str] = []
    requests: list[str] = []
    navigations: list[str] = []

    def dialog(d: object) -> None:
        dialogs.append(d.message)  # type: ignore[attr-defined]
        d.dismiss()  # type: ignore[attr-defined]

    def request(r: Request) -> None:
        requests.append(r.url)

    # A request the browser refuses (CSP, sandbox) still fires "request", then
    # "requestfailed"; only those that reached a server finish.
    page.on("dialog", dialog)
    page.on("requestfinished", request)
    page.on("requestfailed", lambda r: refused.append(f"{r.url} {r.failure}"))
    main = page.main_frame
    page.on("framenavigated", lambda f: navigations.append(f.url) if f == main else None)
    return dialogs, requests, refused, navigations


def test_hostile_html_runs_nothing_until_images_are_asked_for(
    hostile: tuple[ServeProcess, str, str, list[str]], page: Page, screenshots: Path
) -> None:
    inbox, id, remote, paths = hostile
    dialogs, requests, refused, navigations = watch(page)
    page.goto(f"{inbox.url}/message/{id}")
    body = page.frame_locator("#body-frame")
    expect(body.locator("h1")).to_have_text("You won!")
    for trap in ("#js", "#go", "#go2", "#top"):
        body.locator(trap).click()
    page.wait_for_timeout(1500)  # the <meta refresh> would fire after one second
    frame_url = f"{inbox.url}/message/{id}/body.html"
    assert dialogs == []
    assert [url for url in requests if "/api/" in url or url.startswith(remote)] == []
    assert paths == []
    assert {f"{remote}/pixel.png csp", f"{remote}/style.css csp"} <= set(refused)
    assert navigations == [f"{inbox.url}/message/{id}"]
    assert [f.url for f in page.frames][:2] == [f"{inbox.url}/message/{id}", frame_url]
    assert inbox.get("/api/v1/messages").json()["total"] == 1

    page.screenshot(path=screenshots / "inbox-remote-images-blocked.png")
    page.click("text=Show remote images")
    tracker = page.frame_locator("#body-frame").locator("img[alt=tracker]")
    expect(tracker).to_have_js_property("naturalWidth", 4)
    page.wait_for_timeout(500)
    assert paths == ["/pixel.png"]
    assert dialogs == []


def test_the_frame_opened_alone_is_sandboxed_too(
    hostile: tuple[ServeProcess, str, str, list[str]], page: Page
) -> None:
    inbox, id, remote, paths = hostile
    dialogs, requests, refused, _ = watch(page)
    page.goto(f"{inbox.url}/message/{id}/body.html")
    expect(page.locator("h1")).to_have_text("You won!")
    page.locator("#go").click()
    page.wait_for_timeout(1500)
    assert dialogs == []
    assert [url for url in requests if "/api/" in url or url.startswith(remote)] == []
    assert (page.url, paths) == (f"{inbox.url}/message/{id}/body.html", [])
    assert f"{remote}/pixel.png csp" in refused
