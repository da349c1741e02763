"""POP3 with ``--mailbox-login``: each login reads and deletes its own mailbox only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pochta.server.pop3.maildrop import store_maildrops
from pochta.store import Envelope, Store, open_store
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
