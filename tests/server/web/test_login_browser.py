"""The login in Chromium: the browser sends the credentials, the live list connects behind them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Browser, Error, expect

from tests.server.web.inbox_samples import plain_message, send

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def locked(launch_serve: Callable[..., ServeProcess], tmp_path: Path) -> ServeProcess:
    """A catcher whose inbox wants alice's password (bcrypt, written by htpasswd)."""
    users = tmp_path / "ui.htpasswd"
    subprocess.run(["htpasswd", "-cbB", str(users), "alice", "s3cret"], check=True)
    return launch_serve("--ui-auth-file", str(users))


def test_chromium_logs_in_and_the_live_list_works_behind_the_login(
    locked: ServeProcess, browser: Browser
) -> None:
    context = browser.new_context(http_credentials={"username": "alice", "password": "s3cret"})
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        with page.expect_websocket() as socket:
            page.goto(locked.url + "/")
        frames: list[str] = []
        socket.value.on(
            "framereceived", lambda payload: frames.append(json.loads(payload)["Type"])
        )
        expect(page.locator("#empty")).to_be_visible()
        send(locked.smtp, plain_message("Behind the login", "Hello!"))
        expect(page.locator(".row .subject")).to_have_text(["Behind the login"])
        assert "new" in frames
        assert not socket.value.is_closed()
    finally:
        context.close()


def test_chromium_without_the_right_password_sees_no_mail(
    locked: ServeProcess, browser: Browser
) -> None:
    send(locked.smtp, plain_message("Secret reset link", "https://app.example/reset/abc"))
    for credentials in (None, {"username": "alice", "password": "wrong"}):
        context = browser.new_context(http_credentials=credentials)  # type: ignore[arg-type]
        try:
            page = context.new_page()
            try:  # Chromium either gives up on the login or shows the 401 page
                shown = page.goto(locked.url + "/")
                assert shown is not None and shown.status == 401
                assert "Secret reset link" not in page.content()
            except Error as error:
                assert "ERR_INVALID_AUTH_CREDENTIALS" in str(error)
            answer = context.request.get(locked.url + "/api/v1/messages")
            assert answer.status == 401
            assert answer.headers["www-authenticate"] == 'Basic realm="Login"'
            assert "Secret reset link" not in answer.text()
        finally:
            context.close()
