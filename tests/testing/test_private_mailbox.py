"""``pochta_private_mailbox``: a mailbox of one test's own on the session's shared catcher."""

from __future__ import annotations

import smtplib

import pytest

from pochta.exceptions import MailAssertionError
from pochta.testing import PochtaServer, PrivateMailbox


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
