"""The locmem backend: pochta.mail.outbox, as django.core.mail.outbox; and the dummy one."""

from __future__ import annotations

import pytest

import pochta.mail
from pochta.exceptions import BadHeaderError, InvalidMailer
from pochta.mail import EmailMessage, configure, get_connection, mailers, send_mail
from pochta.mail.backends import dummy, locmem

LOCMEM = "pochta.mail.backends.locmem.EmailBackend"
DUMMY = "pochta.mail.backends.dummy.EmailBackend"


@pytest.fixture
def locmem_mailers() -> None:
    configure(MAILERS={"default": {"BACKEND": LOCMEM}, "bulk": {"BACKEND": LOCMEM}})


def test_outbox_does_not_exist_until_a_locmem_backend_is_made() -> None:
    assert not hasattr(pochta.mail, "outbox")

    locmem.EmailBackend()

    assert pochta.mail.outbox == []


@pytest.mark.usefixtures("locmem_mailers")
def test_sent_messages_are_copies_of_the_message_objects() -> None:
    message = EmailMessage("Subject", "Body", "a@x.com", ["b@x.com"])

    assert message.send() == 1
    message.subject = "changed after sending"

    [stored] = pochta.mail.outbox
    assert isinstance(stored, EmailMessage)
    assert stored is not message
    assert (stored.subject, stored.body, stored.to) == ("Subject", "Body", ["b@x.com"])


@pytest.mark.usefixtures("locmem_mailers")
def test_send_mail_lands_in_outbox() -> None:
    sent = send_mail("Hi", "Text", "a@x.com", ["b@x.com", "c@x.com"])

    assert sent == 1
    assert [(m.subject, m.body, m.from_email, m.to) for m in pochta.mail.outbox] == [
        ("Hi", "Text", "a@x.com", ["b@x.com", "c@x.com"])
    ]


def test_tests_may_replace_the_outbox() -> None:
    connection = locmem.EmailBackend()
    pochta.mail.outbox = []
    connection.send_messages([EmailMessage("one", "b", "a@x.com", ["b@x.com"])])

    assert [m.subject for m in pochta.mail.outbox] == ["one"]


def test_bad_header_is_refused_and_not_stored() -> None:
    connection = locmem.EmailBackend()

    with pytest.raises(BadHeaderError):
        connection.send_messages(
            [
                EmailMessage("fine", "b", "a@x.com", ["b@x.com"]),
                EmailMessage("a\nb", "b", "a@x.com", ["b@x.com"]),
            ]
        )
    assert pochta.mail.outbox == []


def test_empty_batch_returns_zero() -> None:
    assert locmem.EmailBackend().send_messages([]) == 0
    assert dummy.EmailBackend().send_messages([]) == 0


def test_dummy_backend_counts_and_keeps_nothing() -> None:
    messages = [EmailMessage("s", "b", "a@x.com", ["b@x.com"]) for _ in range(3)]

    assert dummy.EmailBackend().send_messages(messages) == 3
    assert not hasattr(pochta.mail, "outbox")


@pytest.mark.usefixtures("locmem_mailers")
def test_sent_using_names_the_mailer_that_sent_each_message() -> None:
    message = EmailMessage("kept", "b", "a@x.com", ["b@x.com"])
    send_mail("one", "b", "a@x.com", ["b@x.com"])
    send_mail("two", "b", "a@x.com", ["b@x.com"], using="bulk")
    message.send(using="bulk")
    mailers.default.send_messages([message])

    assert [(m.subject, m.sent_using) for m in pochta.mail.outbox] == [
        ("one", "default"),
        ("two", "bulk"),
        ("kept", "bulk"),
        ("kept", "default"),
    ]
    assert not hasattr(message, "sent_using")  # set on the outbox's copy only


@pytest.mark.filterwarnings("ignore::pochta.mail.deprecation.RemovedInDjango2028Warning")
def test_sent_using_is_none_without_mailers() -> None:
    configure(EMAIL_BACKEND=LOCMEM)
    send_mail("legacy", "b", "a@x.com", ["b@x.com"])
    get_connection().send_messages([EmailMessage("direct", "b", None, ["b@x.com"])])

    assert [(m.subject, m.sent_using) for m in pochta.mail.outbox] == [
        ("legacy", None),
        ("direct", None),
    ]


@pytest.mark.parametrize("backend", [LOCMEM, DUMMY])
def test_locmem_and_dummy_take_no_options_not_even_fail_silently(backend: str) -> None:
    configure(MAILERS={"quiet": {"BACKEND": backend, "OPTIONS": {"fail_silently": True}}})

    with pytest.raises(InvalidMailer) as error:
        mailers["quiet"]
    assert str(error.value) == (
        f"MAILERS['quiet']: Unknown options 'fail_silently'. {backend} takes no options."
    )
