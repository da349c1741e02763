"""End to end: a browser resets a password with the link pochta caught (docs/testing.md)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from pochta.testing import Mailbox, PochtaServer

pytestmark = pytest.mark.browser

# The Django project under test: the folder of its manage.py.
SITE = Path(__file__).resolve().parents[2] / "examples" / "tasksite"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def site(pochta_server: PochtaServer, tmp_path: Path) -> Iterator[str]:
    """Run the site on a free port, its mail sent to pochta_server; yield its URL."""
    env = {
        **os.environ,
        "EMAIL_HOST": pochta_server.smtp_host,
        "EMAIL_PORT": str(pochta_server.smtp_port),
        "TASKSITE_DATABASE": str(tmp_path / "db.sqlite3"),
    }
    manage = [sys.executable, str(SITE / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, check=True)
    subprocess.run(
        [*manage, "demo_user", "--username", "ann", "--email", "ann@example.com"],
        env=env,
        check=True,
        capture_output=True,
    )
    port = free_port()
    server = subprocess.Popen([*manage, "runserver", "--noreload", f"127.0.0.1:{port}"], env=env)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait()


@pytest.fixture
def page() -> Iterator[Page]:
    """A headless Chromium page (here Debian's /usr/bin/chromium)."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox"]
        )
        yield browser.new_page()
        browser.close()


def test_a_forgotten_password_is_reset_through_the_emailed_link(
    page: Page, site: str, pochta_mailbox: Mailbox
) -> None:
    page.goto(f"{site}/accounts/password_reset/")
    page.fill("#id_email", "ann@example.com")
    page.click("button[type=submit]")

    message = pochta_mailbox.wait_for(to="ann@example.com", subject="Восстановление пароля")
    page.goto(message.link("/accounts/reset/"))
    page.fill("#id_new_password1", "a-new-password-7")
    page.fill("#id_new_password2", "a-new-password-7")
    page.click("button[type=submit]")

    expect(page.locator("#reset-complete")).to_be_visible()
