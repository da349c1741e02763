"""The pytest plugin pochta ships to its users (registered through ``pytest11``).

Installing pochta is enough; no ``conftest.py`` is needed. Fixtures:

* ``mailoutbox`` / ``pochta_outbox``: the messages sent in-process during the
  test, through ``pochta.mail`` or (when its settings are configured) Django.
  When pytest-django is installed, ``mailoutbox`` is pytest-django's own and
  ``pochta_outbox`` is pochta's;
* ``pochta_server``: a real ``pochta serve`` on free ports with a temporary
  store, started once per session and emptied before each test;
* ``pochta_mailbox``: that server's :class:`~pochta.testing.Mailbox`;
* ``pochta_private_mailbox``: a mailbox of this test's own on the session's
  server (:class:`~pochta.testing.PrivateMailbox`): only mail to its
  ``address()`` lands there, whatever else runs at the same time;
* ``pochta_catcher``: the session's server itself, never emptied by pochta.

Example::

    def test_reset_mail(pochta_server):
        pochta_server.configure_pochta_mail()     # undone after the test
        request_password_reset("ann@example.com")
        message = pochta_server.mailbox.wait_for(to="ann@example.com")
        assert message.link("/reset/").startswith("https://example.com/")
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from pochta.testing.outbox import captured_mail, restore_mail_settings, save_mail_settings

if TYPE_CHECKING:  # imported when a fixture runs, so plain pytest runs start fast
    from pochta.testing.mailbox import Mailbox, PrivateMailbox
    from pochta.testing.server import PochtaServer

__all__ = [
    "OutboxFixture",
    "pochta_catcher",
    "pochta_mailbox",
    "pochta_outbox",
    "pochta_private_mailbox",
    "pochta_server",
    "pytest_addoption",
    "pytest_configure",
]


@pytest.fixture
def pochta_outbox() -> Iterator[list[Any]]:
    """Return the list of messages sent during this test, emptied for each test.

    ::

        def test_welcome(pochta_outbox):
            send_mail("Welcome", "Hi", "a@example.com", ["b@example.com"])
            assert [m.to for m in pochta_outbox] == [["b@example.com"]]
    """
    with captured_mail() as outbox:
        yield outbox


class OutboxFixture:
    """Holds ``mailoutbox``; registered only when pytest-django does not provide its own."""

    @pytest.fixture
    def mailoutbox(self, pochta_outbox: list[Any]) -> list[Any]:
        """Return the list of messages sent during this test (same as ``pochta_outbox``)."""
        return pochta_outbox


def pytest_addoption(parser: pytest.Parser) -> None:
    """Declare the ``pochta_serve_args`` ini option."""
    parser.addini(
        "pochta_serve_args",
        "More `pochta serve` options for the pochta_server fixture (e.g. --max 100)",
        type="args",
        default=[],
    )


def pytest_configure(config: pytest.Config) -> None:
    """Offer ``mailoutbox`` unless pytest-django (plugin name ``django``) offers it."""
    if not config.pluginmanager.hasplugin("django"):
        config.pluginmanager.register(OutboxFixture(), "pochta-mailoutbox")


@pytest.fixture(scope="session")
def pochta_catcher(pytestconfig: pytest.Config) -> Iterator[PochtaServer]:
    """Start one ``pochta serve --temp`` on free ports for the session; stop it at the end.

    The ``pochta_serve_args`` ini option adds ``pochta serve`` options.
    """
    from pochta.testing.server import PochtaServer

    args: list[str] = pytestconfig.getini("pochta_serve_args")
    with PochtaServer.start(*args) as server:
        yield server


@pytest.fixture
def pochta_server(pochta_catcher: PochtaServer) -> Iterator[PochtaServer]:
    """Return the session's catcher, emptied for this test; ``pochta.mail`` settings restored.

    ::

        def test_sends(pochta_server):
            pochta_server.configure_pochta_mail()
            send_mail("Hi", "Body", "a@example.com", ["b@example.com"])
            assert pochta_server.mailbox.latest().subject == "Hi"
    """
    pochta_catcher.mailbox.delete_all()
    saved = save_mail_settings()
    try:
        yield pochta_catcher
    finally:
        restore_mail_settings(saved)


@pytest.fixture
def pochta_mailbox(pochta_server: PochtaServer) -> Mailbox:
    """Return the :class:`~pochta.testing.Mailbox` of ``pochta_server`` (emptied for the test)."""
    return pochta_server.mailbox


@pytest.fixture
def pochta_private_mailbox(
    request: pytest.FixtureRequest, pochta_catcher: PochtaServer
) -> Iterator[PrivateMailbox]:
    """Return a mailbox of this test's own on the session's server; emptied when it ends.

    Send the test's mail to its ``address()``; ``wait_for`` looks only there::

        def test_signup(pochta_private_mailbox):
            sign_up(email=pochta_private_mailbox.address("ann"))
            assert pochta_private_mailbox.wait_for(subject="Welcome").link("/confirm/")
    """
    import re
    import uuid

    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:40]
    mailbox = pochta_catcher.private_mailbox(f"{slug or 't'}-{uuid.uuid4().hex[:8]}")
    try:
        yield mailbox
    finally:
        mailbox.delete_all()
        mailbox.close()
