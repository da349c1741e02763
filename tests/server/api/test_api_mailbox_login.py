"""``--ui-mailbox``: an inbox login opens only the mailboxes granted to it, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from pochta.exceptions import ConfigurationError
from pochta.store.mailbox import MailboxGrant, MailboxGrants
from tests.conftest import ServeProcess

USERS = "alice:wonder\nbob:builder\nboss:in-charge\n"


@pytest.fixture
def catcher(launch_serve: Callable[..., ServeProcess], tmp_path: Path) -> ServeProcess:
    (tmp_path / "ui.htpasswd").write_text(USERS)
    served = launch_serve(
        "--ui-auth-file",
        str(tmp_path / "ui.htpasswd"),
        "--ui-mailbox",
        "*={login}",
        "--ui-mailbox",
        "boss=default,alice,bob",
    )
    for login in ("alice", "bob"):
        body = {"From": {"Email": "app@example.test"}, "Subject": f"for {login}"}
        answer = httpx.post(
            f"{served.url}/mailbox/{login}/api/v1/send", json=body, auth=(login, USERS_OF[login])
        )
        assert answer.status_code == 200, answer.text
    return served


USERS_OF = {"alice": "wonder", "bob": "builder", "boss": "in-charge"}


def get(catcher: ServeProcess, login: str, path: str) -> httpx.Response:
    return httpx.get(f"{catcher.url}{path}", auth=(login, USERS_OF[login]), timeout=10)


def test_a_login_opens_its_own_mailbox_only(catcher: ServeProcess) -> None:
    own = get(catcher, "alice", "/mailbox/alice/api/v1/messages")
    other = get(catcher, "alice", "/mailbox/bob/api/v1/messages")
    root = get(catcher, "alice", "/")
    assert [m["Subject"] for m in own.json()["messages"]] == ["for alice"]
    assert (other.status_code, root.status_code) == (403, 403)
    assert other.json() == {
        "Error": "login 'alice' may not open mailbox 'bob'; its mailboxes: /mailbox/alice/"
    }


def test_the_list_of_mailboxes_shows_what_the_login_may_open(catcher: ServeProcess) -> None:
    def names(login: str) -> list[str]:
        listed = get(catcher, login, f"/mailbox/{login}/api/v1/mailboxes").json()
        return [m["Name"] for m in listed]

    boss = get(catcher, "boss", "/api/v1/mailboxes").json()
    assert (names("alice"), names("bob")) == (["alice"], ["bob"])
    assert [m["Name"] for m in boss] == ["default", "alice", "bob"]


def test_grants_that_make_no_sense_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="is not LOGIN=MAILBOX"):
        MailboxGrant.parse("alice")
    with pytest.raises(ConfigurationError, match="is no mailbox name"):
        MailboxGrant.parse("alice=Not One")
    grants = MailboxGrants((MailboxGrant.parse("*={login}"),))
    assert (grants.allows("Carol", "carol"), grants.allows("carol", "default")) == (True, False)
    assert grants.allows(None, "anything")
