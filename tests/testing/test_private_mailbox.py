"""``pochta_private_mailbox``: a mailbox of one test's own on the session's shared catcher.

The last tests run a throwaway project under ``pytest -n 2`` (pytest-xdist,
through pytester): each worker's tests send their own mail and mail for
others at once, and each test's ``wait_for`` and ``messages`` see its own
only, also when the workers' catchers share one PostgreSQL database (as CI
jobs sharing a team catcher do).
"""

from __future__ import annotations

import smtplib

import pytest

from pochta.exceptions import MailAssertionError
from pochta.testing import PochtaServer, PrivateMailbox

pytest_plugins = ["pytester"]

INI = """
[pytest]
addopts = -p no:cacheprovider
filterwarnings = error
"""

#: Every test sends its own message first, then a message of the same subject to
#: another private mailbox and one to the default mailbox: a ``wait_for`` that
#: looked beyond its mailbox would find one of those, the newest.
UNDER_XDIST = """
import smtplib

import pytest


@pytest.mark.parametrize("number", range(8))
def test_reset(number, pochta_private_mailbox, pochta_catcher):
    mine = pochta_private_mailbox.address("ann")
    others = [pochta_catcher.private_mailbox().address("ann"), "ann@example.test"]
    with smtplib.SMTP(pochta_catcher.smtp_host, pochta_catcher.smtp_port) as client:
        for to in [mine, *others]:
            raw = f"To: {to}\\r\\nSubject: Reset {number}\\r\\n\\r\\nfor {to}\\r\\n"
            client.sendmail("app@example.test", [to], raw.encode())
    found = pochta_private_mailbox.wait_for(subject=f"Reset {number}")
    assert found.to == [mine]
    assert [m.to for m in pochta_private_mailbox.messages()] == [[mine]]
"""

#: The workers' catchers on one database: mail taken by one is in the other's store.
SHARED_CATCHER = """
import os

import pytest

from pochta.testing import PochtaServer


@pytest.fixture(scope="session")
def pochta_catcher():
    with PochtaServer.start(database=os.environ["SHARED_DATABASE"]) as server:
        yield server
"""


def send(server: PochtaServer, to: str, subject: str) -> None:
    raw = f"From: app@example.test\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhi\r\n"
    with smtplib.SMTP(server.smtp_host, server.smtp_port) as client:
        client.sendmail("app@example.test", [to], raw.encode())


def test_only_mail_to_its_address_lands_in_it(
    pochta_private_mailbox: PrivateMailbox, pochta_catcher: PochtaServer
) -> None:
    neighbour = pochta_catcher.private_mailbox()
    send(pochta_catcher, neighbour.address("bob"), "Theirs")
    send(pochta_catcher, "everyone@example.test", "Everyone's")
    send(pochta_catcher, pochta_private_mailbox.address("ann"), "Mine")

    found = pochta_private_mailbox.wait_for(to="ann", subject="Mine")
    assert [m.subject for m in pochta_private_mailbox.messages()] == ["Mine"]
    assert found.to[0].endswith(f"+{pochta_private_mailbox.name}@pochta.test")
    with pytest.raises(MailAssertionError):
        pochta_private_mailbox.wait_for(subject="Theirs", timeout=0.3)
    assert [m.subject for m in neighbour.messages()] == ["Theirs"]
    neighbour.delete_all()
    neighbour.close()


def test_each_test_gets_a_new_name(
    pochta_private_mailbox: PrivateMailbox, pochta_catcher: PochtaServer
) -> None:
    assert pochta_private_mailbox.name.startswith("test-each-test-gets-a-new-name-")
    assert pochta_private_mailbox.messages() == []
    with pochta_catcher.private_mailbox() as one, pochta_catcher.private_mailbox() as two:
        assert one.name != two.name


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_under_pytest_n_each_test_sees_its_own_mail(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(test_reset=UNDER_XDIST)
    result = pytester.runpytest_subprocess("-n", "2")
    result.stdout.fnmatch_lines(["*created: 2/2 workers*"])
    result.assert_outcomes(passed=8)


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_under_pytest_n_with_the_workers_catchers_on_one_database(
    pytester: pytest.Pytester, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHARED_DATABASE", postgres_url)
    pytester.makeini(INI)
    pytester.makeconftest(SHARED_CATCHER)
    pytester.makepyfile(test_reset=UNDER_XDIST)
    result = pytester.runpytest_subprocess("-n", "2")
    result.stdout.fnmatch_lines(["*created: 2/2 workers*"])
    result.assert_outcomes(passed=8)
    import psycopg

    with psycopg.connect(postgres_url) as connection:
        (count,) = connection.execute("SELECT count(*) FROM pochta.message").fetchone() or (0,)
    assert count == 16  # both workers' mail for others (each test emptied its own at its end)
