"""The plugin as users get it: throwaway projects with no conftest, run by pytester."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

INI = """
[pytest]
addopts = -p no:cacheprovider
filterwarnings = error
"""

USES_EACH_FIXTURE = """
import smtplib
import pochta.mail
from pochta.mail import send_mail
from pochta.mail.settings import get_setting


USER_MAILERS = {
    "default": {"BACKEND": "pochta.mail.backends.dummy.EmailBackend"},
    "bulk": {"OPTIONS": {"host": "smtp.example.com"}},
}


def test_outbox_catches_pochta_mail(mailoutbox, pochta_outbox):
    send_mail("Welcome", "Hi Ann", "app@example.com", ["ann@example.com"])
    send_mail("News", "Hi Bob", "app@example.com", ["bob@example.com"], using="bulk")
    assert mailoutbox is pochta_outbox
    assert [(m.subject, m.to, m.sent_using) for m in mailoutbox] == [
        ("Welcome", ["ann@example.com"], "default"),
        ("News", ["bob@example.com"], "bulk"),
    ]


def test_outbox_is_empty_again_and_every_mailer_is_a_locmem_one(mailoutbox):
    assert mailoutbox == []
    locmem = {"BACKEND": "pochta.mail.backends.locmem.EmailBackend"}
    assert get_setting("MAILERS") == {"default": locmem, "bulk": locmem}


def test_after_the_fixture_the_user_settings_are_intact():
    assert get_setting("MAILERS") == USER_MAILERS
    assert pochta.mail.outbox == ["kept"]


def test_server_catches_smtp(pochta_server):
    with smtplib.SMTP(pochta_server.smtp_host, pochta_server.smtp_port) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: one\\r\\n\\r\\nx\\r\\n")
    assert pochta_server.mailbox.wait_for(subject="one").to == []


def test_server_is_empty_for_each_test(pochta_server, pochta_mailbox):
    assert pochta_mailbox is pochta_server.mailbox
    assert pochta_mailbox.messages() == []
    pochta_server.configure_pochta_mail()
    send_mail("Reset", "Open http://app.test/reset/x/", "a@example.com", ["ann@example.com"])
    assert pochta_mailbox.wait_for(to="ann@").link("/reset/") == "http://app.test/reset/x/"


def test_one_server_per_session(pochta_catcher, pochta_server):
    assert pochta_catcher is pochta_server
    assert get_setting("MAILERS") == USER_MAILERS


def test_a_wrong_expectation_fails_readably(pochta_server):
    pochta_server.configure_pochta_mail()
    send_mail("Your receipt", "Thanks", "shop@example.com", ["bob@example.com"])
    send_mail("Welcome", "Hi", "app@example.com", ["ann@example.com"])
    pochta_server.mailbox.wait_for(subject="Nope", timeout=1)
"""

USER_CONFTEST = """
import pochta.mail

pochta.mail.configure(
    MAILERS={
        "default": {"BACKEND": "pochta.mail.backends.dummy.EmailBackend"},
        "bulk": {"OPTIONS": {"host": "smtp.example.com"}},
    }
)
pochta.mail.outbox = ["kept"]
"""


def test_each_fixture_works_in_a_project_without_conftest_and_failures_list_arrivals(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A developer's settings for their own catcher do not reach the tests' one.
    monkeypatch.setenv("POCHTA_SMTP_AUTH_FILE", "/nonexistent/users.txt")
    pytester.makeini(INI)
    pytester.makeconftest(USER_CONFTEST)  # the user's own settings, to be kept intact
    pytester.makepyfile(test_project=USES_EACH_FIXTURE)

    result = pytester.runpytest_subprocess()

    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E*MailAssertionError: no message matching 'subject:\"Nope\"' arrived at "
            "http://127.0.0.1:* within 1 s;",
            "E*2 message(s) in the mailbox, the latest:",
            "E*'Welcome' from app@example.com to ann@example.com",
            "E*'Your receipt' from shop@example.com to bob@example.com",
        ]
    )


DJANGO_CONFTEST = """
import django
from django.conf import settings

SMTP = "django.core.mail.backends.smtp.EmailBackend"
if django.VERSION >= (6, 1):
    mail = {"MAILERS": {"default": {"BACKEND": SMTP, "OPTIONS": {"host": "localhost"}}}}
else:
    mail = {"EMAIL_BACKEND": SMTP}
settings.configure(DEFAULT_FROM_EMAIL="site@example.com", **mail)
django.setup()
"""

DJANGO_TESTS = """
import django
from django.conf import settings
from django.core import mail
from django.test import override_settings

import pochta.mail

MAILERS = django.VERSION >= (6, 1)


def test_django_and_pochta_mail_share_the_outbox(mailoutbox):
    mail.send_mail("From Django", "Hi", None, ["ann@example.com"])
    pochta.mail.send_mail("From pochta", "Hi", None, ["bob@example.com"])
    assert [(m.subject, m.from_email) for m in mailoutbox] == [
        ("From Django", "site@example.com"),
        ("From pochta", "site@example.com"),
    ]
    assert mail.outbox is mailoutbox
    if MAILERS:
        assert [m.sent_using for m in mailoutbox] == ["default", "default"]


def test_django_settings_are_restored():
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    if MAILERS:
        assert settings.MAILERS["default"]["BACKEND"] == smtp
    else:
        assert settings.EMAIL_BACKEND == smtp
    assert not hasattr(mail, "outbox")


def test_ini_options_reach_the_server(pochta_server):
    pochta_server.configure_pochta_mail()
    pochta.mail.send_mass_mail([("One", "x", None, ["a@example.com"]),
                                ("Two", "x", None, ["a@example.com"])])
    assert [m.subject for m in pochta_server.mailbox.messages()] == ["Two"]


def test_a_django_app_sends_to_the_server(pochta_server):
    if MAILERS:
        routed = override_settings(MAILERS={"default": pochta_server.mailer})
    else:
        routed = override_settings(**pochta_server.email_settings)
    with routed:
        mail.send_mail("Reset", "Code 482913", None, ["ann@example.com"])
    assert pochta_server.mailbox.wait_for(to="ann@example.com").code() == "482913"
"""


def test_with_django_configured_django_mail_lands_in_the_same_outbox(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini(INI + "pochta_serve_args = --max 1\n")
    pytester.makeconftest(DJANGO_CONFTEST)
    pytester.makepyfile(test_django_project=DJANGO_TESTS)

    result = pytester.runpytest_subprocess()

    result.assert_outcomes(passed=4)
