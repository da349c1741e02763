"""The open inbox in Chromium while its PostgreSQL goes away and comes back.

A catcher on a PostgreSQL server of the test's own; the inbox is open on a
mailbox's URL (``/mailbox/NAME/``) when the server is stopped: the page says
so (a banner naming the fault), and once the server is back the banner goes
and mail sent afterwards shows up in the open list.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.cluster import Cluster, Template
from tests.conftest import ServeProcess
from tests.server.web.inbox_samples import plain_message

pytestmark = [pytest.mark.browser, pytest.mark.slow]

#: The open list asks /readyz every 5 s (inbox.js): a change shows within one or two asks.
HEALTH_WAIT = 20_000


@pytest.fixture
def cluster(postgres_template: Template) -> Iterator[Cluster]:
    """A PostgreSQL server of this test's own, to stop and start."""
    with postgres_template.start() as started:
        yield started


def send(catcher: ServeProcess, subject: str) -> int:
    """Send one message to ci-7@example.test and return the DATA reply's code."""
    with smtplib.SMTP(*catcher.smtp, timeout=30) as client:
        client.ehlo()
        client.mail("app@example.test")
        client.rcpt("ci-7@example.test")
        code, _ = client.data(plain_message(subject, "Hello!"))
    return code


def test_the_open_inbox_says_when_postgresql_is_away_and_recovers(
    launch_serve: Callable[..., ServeProcess], cluster: Cluster, page: Page
) -> None:
    catcher = launch_serve(
        "--mailbox-rule", "ci-*@example.test=ci", database=cluster.create_database()
    )
    assert send(catcher, "Before the fault") == 250
    page.goto(catcher.url + "/mailbox/ci/")
    expect(page.locator(".row", has_text="Before the fault")).to_be_visible()
    banner = page.locator("#unavailable")
    expect(banner).to_be_hidden()

    cluster.stop()
    assert send(catcher, "While it is away") == 451
    expect(banner).to_be_visible(timeout=HEALTH_WAIT)
    expect(banner).to_contain_text("is not answering")
    expect(banner).to_contain_text("SMTP answers 451")

    cluster.start()
    expect(banner).to_be_hidden(timeout=HEALTH_WAIT)
    assert send(catcher, "After the fault") == 250
    expect(page.locator(".row", has_text="After the fault")).to_be_visible(timeout=HEALTH_WAIT)
    expect(page.locator(".row")).to_have_count(2)
