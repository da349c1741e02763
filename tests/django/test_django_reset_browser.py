"""The whole password-reset story in Chromium, against ``pochta demo`` (real processes).

Open the site, ask for a reset for the demo user, open the message the
catcher caught, follow its link, set a new password, log in with it, and see
that the old one no longer works; an unknown address sends nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from pochta.testing import Mailbox
from tests.django.django_site import Demo

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NEW_PASSWORD = "brand-new-password-7"


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    """A fresh Chromium page (Debian's Chromium, headless)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context()
        context.set_default_timeout(15_000)
        yield context.new_page()
        context.close()
        browser.close()


def messages_to(demo: Demo, address: str) -> list[dict[str, Any]]:
    listed = httpx.get(f"{demo.inbox}/api/v1/messages").json()["messages"]
    return [m for m in listed if any(to["Address"] == address for to in m["To"])]


def ask_for_reset(page: Any, demo: Demo, email: str) -> None:
    page.goto(f"{demo.site}/")
    page.get_by_role("link", name="Восстановить пароль").click()
    page.locator("#id_email").fill(email)
    page.get_by_role("button", name="Восстановить пароль").click()
    page.locator("#reset-done").wait_for()


def log_in(page: Any, demo: Demo, password: str) -> None:
    page.goto(f"{demo.site}/accounts/login/")
    page.locator("#id_username").fill("demo")
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Войти").click()


def test_reset_the_demo_password_through_the_caught_message(page: Any, demo: Demo) -> None:
    ask_for_reset(page, demo, "demo@task.local")
    with Mailbox(demo.inbox) as mailbox:
        message = mailbox.wait_for(to="demo@task.local", subject="Восстановление пароля")
        link = message.link("/accounts/reset/")
    assert message.subject.startswith("Восстановление пароля на 127.0.0.1:")
    # Open the caught message in the browser (the API's JSON view, until the inbox
    # page at / lists messages) and find the same link in its text and its HTML.
    page.goto(f"{demo.inbox}/api/v1/message/{message.id}")
    shown = json.loads(page.locator("body").inner_text())
    assert re.findall(r"http://\S+/accounts/reset/\S+/", shown["Text"]) == [link]
    assert f'href="{link}"' in shown["HTML"]
    page.goto(link)
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Сохранить пароль").click()
    page.locator("#reset-complete").wait_for()

    log_in(page, demo, NEW_PASSWORD)
    expect(page.locator("#who")).to_have_text("demo")
    page.get_by_role("button", name="Выйти").click()
    log_in(page, demo, "demo-password-1")
    expect(page.locator("#login-error")).to_be_visible()
    page.goto(link)
    expect(page.locator("#invalid-link")).to_be_visible()


def test_unknown_address_sees_the_same_page_and_nothing_is_sent(page: Any, demo: Demo) -> None:
    before = httpx.get(f"{demo.inbox}/api/v1/messages").json()["total"]
    ask_for_reset(page, demo, "nobody@task.local")
    expect(page.locator("h1")).to_have_text("Проверьте почту")
    assert httpx.get(f"{demo.inbox}/api/v1/messages").json()["total"] == before
