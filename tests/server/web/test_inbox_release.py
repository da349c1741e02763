"""The inbox's Release action in Chromium, through ``pochta serve`` to a real aiosmtpd upstream."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import ServeProcess
from tests.mail.smtp_peer import SMTPServer, start_server

pytestmark = pytest.mark.browser

RAW = b"From: app@example.com\r\nTo: ann@example.com\r\nSubject: Your invoice\r\n\r\nAttached.\r\n"


@pytest.fixture
def upstream() -> Iterator[SMTPServer]:
    controller, server = start_server()
    yield server
    controller.stop()


@pytest.fixture
def relaying(
    launch_serve: Callable[..., ServeProcess], upstream: SMTPServer, tmp_path: Path
) -> ServeProcess:
    """A catcher with a relay that only allows @example.org, labelled "QA"."""
    config = tmp_path / "relay.yaml"
    config.write_text(
        f"host: 127.0.0.1\nport: {upstream.port}\nallowed-recipients: '@example\\.org$'\n"
    )
    served = launch_serve("--smtp-relay-config", str(config), "--label", "QA")
    with smtplib.SMTP(*served.smtp) as client:
        client.sendmail("app@example.com", ["ann@example.com"], RAW)
    return served


def test_release_shows_the_allowlist_and_the_upstreams_answer(
    relaying: ServeProcess, upstream: SMTPServer, page: Page
) -> None:
    message_id = relaying.get("/api/v1/messages").json()["messages"][0]["ID"]
    page.goto(f"{relaying.url}/message/{message_id}/text")
    expect(page).to_have_title("Your invoice · pochta · QA")

    page.get_by_role("button", name="Release").first.click()
    dialog = page.locator("dialog#release")
    expect(dialog).to_contain_text("@example\\.org$")
    dialog.get_by_label("To (addresses separated by commas)").fill("eve@evil.test")
    dialog.get_by_role("button", name="Release").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Failed: 1 Address do not match the allowlist: eve@evil.test"
    )
    dialog.get_by_label("To (addresses separated by commas)").fill(
        "bob@example.org, c@example.org"
    )
    dialog.get_by_role("button", name="Release").click()
    expect(dialog.get_by_role("status")).to_have_text(
        "Released to bob@example.org, c@example.org."
    )

    assert [e.rcpt_tos for e in upstream.envelopes] == [["bob@example.org", "c@example.org"]]


def test_no_release_button_without_a_relay(
    launch_serve: Callable[..., ServeProcess], page: Page
) -> None:
    served = launch_serve()
    with smtplib.SMTP(*served.smtp) as client:
        client.sendmail("app@example.com", ["ann@example.com"], RAW)
    message_id = served.get("/api/v1/messages").json()["messages"][0]["ID"]
    page.goto(f"{served.url}/message/{message_id}/text")

    expect(page.get_by_role("button", name="Mark unread")).to_be_visible()
    expect(page.get_by_role("button", name="Release")).to_have_count(0)
