"""captured_mail() and the mailoutbox fixture in this very process."""

from __future__ import annotations

from typing import Any

import pytest

import pochta.mail
from pochta.mail import EmailMessage, send_mail, send_mass_mail
from pochta.mail.settings import get_setting
from pochta.testing import captured_mail
from pochta.testing.outbox import restore_mail_settings, save_mail_settings


def test_mailoutbox_holds_what_pochta_mail_sent(mailoutbox: list[Any]) -> None:
    send_mail("One", "Body", "a@example.com", ["b@example.com"])
    send_mass_mail([("Two", "x", "a@example.com", ["c@example.com"])])
    EmailMessage("Three", "y", "a@example.com", ["d@example.com"]).send()

    assert [(m.subject, m.to) for m in mailoutbox] == [
        ("One", ["b@example.com"]),
        ("Two", ["c@example.com"]),
        ("Three", ["d@example.com"]),
    ]
    assert pochta.mail.outbox is mailoutbox


def test_an_outbox_that_did_not_exist_is_gone_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(pochta.mail, "outbox", raising=False)

    with captured_mail() as outbox:
        send_mail("Hi", "Body", "a@example.com", ["b@example.com"])

    assert len(outbox) == 1
    assert not hasattr(pochta.mail, "outbox")


@pytest.mark.filterwarnings("ignore::pochta.mail.deprecation.RemovedInDjango2028Warning")
def test_configured_values_come_back_even_after_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pochta.mail, "outbox", ["earlier"], raising=False)
    saved = save_mail_settings()
    pochta.mail.configure(EMAIL_BACKEND="pochta.mail.backends.dummy.EmailBackend", EMAIL_PORT=2)
    try:
        with pytest.raises(RuntimeError), captured_mail():
            assert get_setting("EMAIL_BACKEND") == "pochta.mail.backends.locmem.EmailBackend"
            raise RuntimeError("the test failed")
        assert [get_setting("EMAIL_BACKEND"), get_setting("EMAIL_PORT")] == [
            "pochta.mail.backends.dummy.EmailBackend",
            2,
        ]
        assert pochta.mail.outbox == ["earlier"]
    finally:
        restore_mail_settings(saved)


def test_with_mailers_every_alias_is_captured_and_named() -> None:
    saved = save_mail_settings()
    smtp = {"BACKEND": "pochta.mail.backends.smtp.EmailBackend", "OPTIONS": {"host": "x.invalid"}}
    pochta.mail.configure(MAILERS={"default": smtp, "bulk": smtp})
    try:
        with captured_mail() as outbox:
            send_mail("One", "Body", "a@example.com", ["b@example.com"])
            send_mail("Two", "Body", "a@example.com", ["b@example.com"], using="bulk")
            with pytest.raises(pochta.mail.MailerDoesNotExist):
                send_mail("Three", "Body", "a@example.com", ["b@example.com"], using="nope")
        assert [(m.subject, m.sent_using) for m in outbox] == [("One", "default"), ("Two", "bulk")]
        assert get_setting("MAILERS") == {"default": smtp, "bulk": smtp}
    finally:
        restore_mail_settings(saved)
