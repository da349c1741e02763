"""POP3 with ``--mailbox-login``: each login reads and deletes its own mailbox only.

The last test runs ``pochta serve`` itself on each kind of store: what an
SMTP login sent is what that login reads over POP3.
"""

from __future__ import annotations

import poplib
import smtplib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pochta.server.pop3.maildrop import store_maildrops
from pochta.store import Envelope, Store, open_store
from tests.conftest import ServeProcess
from tests.kind import StoreKind
from tests.server.pop3.pop3_harness import RunningPOP3, serve_pop3

ENVELOPE = Envelope("app@example.test", ("dev@example.test",))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "mail.db") as opened:
        for mailbox, subject in (("alice", "For Alice"), ("bob", "For Bob"), ("default", "All")):
            opened.mailbox(mailbox).add(f"Subject: {subject}\r\n\r\nhi\r\n".encode(), ENVELOPE)
        yield opened


@pytest.fixture
def server(store: Store) -> Iterator[RunningPOP3]:
    with serve_pop3(store, maildrops=store_maildrops(store, by_login=True)) as running:
        yield running


def subjects(server: RunningPOP3, user: str) -> list[bytes]:
    client = server.login(user, "any")
    count = client.stat()[0]
    found = [
        next(line for line in client.top(n, 0)[1] if line.startswith(b"Subject:"))
        for n in range(1, count + 1)
    ]
    client.quit()
    return found


def test_each_login_sees_its_own_mailbox(server: RunningPOP3) -> None:
    assert subjects(server, "Alice") == [b"Subject: For Alice"]
    assert subjects(server, "bob") == [b"Subject: For Bob"]
    assert subjects(server, "carol") == []


def test_a_login_deletes_only_its_own(server: RunningPOP3, store: Store) -> None:
    client = server.login("alice", "any")
    client.dele(1)
    client.quit()
    assert [m.name for m in store.mailboxes() if m.total] == ["default", "bob"]


def read_subjects(address: tuple[str, int], user: str) -> list[bytes]:
    """Log in to a POP3 server as ``user`` and return each message's Subject line."""
    client = poplib.POP3(*address, timeout=10)
    client.user(user)
    client.pass_("any")
    found = [
        next(line for line in client.top(n, 0)[1] if line.startswith(b"Subject:"))
        for n in range(1, client.stat()[0] + 1)
    ]
    client.quit()
    return found


@pytest.mark.parametrize("by_login", [True, False], ids=["mailbox-login", "one mailbox"])
def test_pochta_serve_gives_an_smtp_login_its_own_mail_over_pop3(
    launch_serve: Callable[..., ServeProcess],
    store_kind: StoreKind,
    tmp_path: Path,
    by_login: bool,
) -> None:
    options = ["--pop3", "127.0.0.1:0", "--smtp-auth-accept-any"]
    served = launch_serve(
        *options,
        *(["--mailbox-login"] if by_login else []),
        database=store_kind.location(tmp_path),
    )
    assert served.pop3 is not None
    for login, subject in (("Alice", "For Alice"), ("bob", "For Bob"), (None, "For all")):
        with smtplib.SMTP(*served.smtp) as client:
            if login is not None:
                client.login(login, "any password")
            client.sendmail(
                "app@example.test",
                ["dev@example.test"],
                f"Subject: {subject}\r\n\r\nhi\r\n".encode(),
            )
    seen = {user: read_subjects(served.pop3, user) for user in ("alice", "bob", "carol")}
    if by_login:
        assert seen == {
            "alice": [b"Subject: For Alice"],
            "bob": [b"Subject: For Bob"],
            "carol": [],
        }
    else:  # every login reads the one (default) mailbox, newest first
        every = [b"Subject: For all", b"Subject: For Bob", b"Subject: For Alice"]
        assert seen == {"alice": every, "bob": every, "carol": every}
