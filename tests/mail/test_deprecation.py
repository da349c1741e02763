"""Django 6.1's email deprecations: pochta warns where Django does, with Django's words.

Each warning points at the line of the test that used the deprecated feature
(``filename == __file__``), and pochta's own use of an old path warns nobody.
"""

from __future__ import annotations

import importlib
import io
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import pochta.mail
from pochta.mail import EmailMessage, configure, get_connection, mail_admins, send_mail
from pochta.mail.backends import console, dummy, locmem, smtp
from pochta.mail.deprecation import RemovedInDjango70Warning, RemovedInDjango2028Warning

LOCMEM = "pochta.mail.backends.locmem.EmailBackend"
DEFERRED = (
    "See 'Migrating email to mailers' in Django's documentation for recommended replacements."
)


@pytest.fixture
def caught() -> Iterator[list[warnings.WarningMessage]]:
    """Every warning given in the test, each shown once per place (``always``)."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        yield record


def texts(record: list[warnings.WarningMessage]) -> list[str]:
    assert all(w.filename == __file__ for w in record), [(w.filename, w.message) for w in record]
    assert all(issubclass(w.category, RemovedInDjango2028Warning) for w in record)
    return [str(w.message) for w in record]


def test_the_warning_is_pending_as_djangos_and_keeps_the_70_name() -> None:
    assert issubclass(RemovedInDjango2028Warning, PendingDeprecationWarning)
    assert not issubclass(RemovedInDjango2028Warning, DeprecationWarning)  # hidden by default
    assert RemovedInDjango70Warning is RemovedInDjango2028Warning


def test_configuring_an_email_setting_warns_once_per_name(caught: list[Any]) -> None:
    configure(EMAIL_PORT=25, EMAIL_BACKEND=LOCMEM, DEFAULT_FROM_EMAIL="a@x.com")

    assert texts(caught) == [
        "The EMAIL_BACKEND setting is deprecated. Migrate to MAILERS before Django 2028.",
        "The EMAIL_PORT setting is deprecated. Migrate to MAILERS before Django 2028.",
    ]


def test_an_email_variable_warns_when_it_is_read(
    caught: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMAIL_BACKEND", LOCMEM)

    send_mail("s", "b", "a@x.com", ["b@x.com"])

    assert texts(caught) == [
        "The EMAIL_BACKEND setting is deprecated. Migrate to MAILERS before Django 2028."
    ]


def test_sending_with_nothing_configured_warns_of_no_default_mailer(caught: list[Any]) -> None:
    configure(DEFAULT_FROM_EMAIL="a@x.com")

    EmailMessage("s", "b", None, []).send()  # nobody to send to: no backend, no warning
    with pytest.raises(ConnectionRefusedError):
        smtp_port_closed_then(lambda: send_mail("s", "b", None, ["b@x.com"]))

    assert texts(caught) == [
        "Django 2028 will not have a default mailer. Configure settings.MAILERS to avoid "
        "errors when sending email."
    ]


def smtp_port_closed_then(send: Callable[[], object]) -> object:
    # The implicit default mailer is smtp to localhost:25; nothing listens there.
    import socket

    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 25)) == 0:
            pytest.fail("something listens on 127.0.0.1:25; this test needs it closed")
    return send()


def test_get_connection_warns_the_caller(caught: list[Any]) -> None:
    configure(MAILERS={"default": {"BACKEND": LOCMEM}})

    get_connection()
    send_mail("s", "b", "a@x.com", ["b@x.com"])  # pochta's own get_connection() is silent

    assert texts(caught) == [f"get_connection() is deprecated. {DEFERRED}"]


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            lambda c: send_mail("s", "b", None, ["b@x.com"], fail_silently=True),
            [f"The 'fail_silently' argument is deprecated. {DEFERRED}"],
        ),
        (
            lambda c: send_mail("s", "b", None, ["b@x.com"], auth_user="u", auth_password="p"),
            [
                "The 'auth_user' and 'auth_password' arguments are deprecated. Set "
                "'username' and 'password' OPTIONS in MAILERS instead."
            ],
        ),
        (
            lambda c: send_mail("s", "b", None, ["b@x.com"], connection=c),
            [
                "The 'connection' argument is deprecated. Switch to the 'using' argument "
                "with a MAILERS alias."
            ],
        ),
        (
            lambda c: mail_admins("s", "b", fail_silently=True),
            [f"The 'fail_silently' argument is deprecated. {DEFERRED}"],
        ),
        (
            lambda c: EmailMessage("s", "b", None, ["b@x.com"]).send(fail_silently=True),
            [f"The 'fail_silently' argument is deprecated. {DEFERRED}"],
        ),
        (
            lambda c: EmailMessage("s", "b", None, ["b@x.com"], connection=c).send(),
            [
                "The 'connection' argument is deprecated. Switch to the 'using' argument "
                "with a MAILERS alias."
            ],
        ),
    ],
)
def test_deprecated_arguments_warn(
    caught: list[Any], call: Callable[[Any], object], expected: list[str]
) -> None:
    configure(MAILERS={"default": {"BACKEND": LOCMEM}}, ADMINS=["ops@x.com"])
    connection = dummy.EmailBackend()

    call(connection)

    assert texts(caught) == expected


def test_the_connection_attribute_warns_both_ways(caught: list[Any]) -> None:
    message = EmailMessage("s", "b", None, ["b@x.com"])

    message.connection = dummy.EmailBackend()
    assert message.connection is not None

    assert texts(caught) == [
        "The EmailMessage.connection attribute is deprecated. Switch to "
        "EmailMessage.send(using=...) with a MAILERS alias.",
        "The EmailMessage.connection attribute is deprecated.",
    ]


def test_making_an_smtp_backend_directly_warns(caught: list[Any]) -> None:
    smtp.EmailBackend(host="h")
    smtp.EmailBackend(alias="x", host="h")  # as mailers makes it
    configure(MAILERS={"default": {"OPTIONS": {"host": "h"}}})
    assert pochta.mail.mailers.default.alias == "default"

    assert texts(caught) == [
        "Directly creating EmailBackend instances is deprecated. Use mail.mailers instead."
    ]


def test_unknown_arguments_without_an_alias_warn_and_are_ignored(caught: list[Any]) -> None:
    backend = locmem.EmailBackend(foo=1)
    get_connection(LOCMEM, bar=2)  # built by pochta: only get_connection itself warns

    assert texts(caught) == [
        "pochta.mail.backends.locmem.EmailBackend.__init__() does not support 'foo'. In "
        "Django 2028, BaseEmailBackend will raise a TypeError for unknown keyword arguments.",
        f"get_connection() is deprecated. {DEFERRED}",
        "Django 2028 will not have a default mailer. Configure settings.MAILERS to avoid "
        "errors when sending email.",
    ]
    assert backend.alias is None


def test_reading_fail_silently_a_backend_did_not_set_warns(caught: list[Any]) -> None:
    assert locmem.EmailBackend().fail_silently is False
    assert console.EmailBackend(stream=io.StringIO(), fail_silently=True).fail_silently is True

    assert texts(caught) == [
        "BaseEmailBackend.fail_silently is deprecated. A subclass that supports "
        "fail_silently must set its own attribute."
    ]


def test_positional_keyword_arguments_warn_and_still_work(caught: list[Any]) -> None:
    configure(MAILERS={"default": {"BACKEND": LOCMEM}})

    assert send_mail("s", "b", None, ["b@x.com"], False) == 1  # type: ignore[call-arg]
    EmailMessage("s", "b", None, ["b@x.com"], ["bcc@x.com"])  # type: ignore[call-arg]

    assert texts(caught) == [
        "Passing positional argument(s) 'fail_silently' to send_mail() is deprecated. "
        "Use keyword arguments instead.",
        "Passing positional argument(s) 'bcc' to EmailMessage() is deprecated. "
        "Use keyword arguments instead.",
    ]


def test_positional_arguments_beyond_the_old_signature_are_type_errors() -> None:
    with pytest.raises(TypeError) as too_many:
        send_mail("s", "b", None, ["b@x.com"], False, None, None, None, None, "extra")  # type: ignore[call-arg]
    with pytest.raises(TypeError) as both:
        send_mail("s", "b", None, ["b@x.com"], False, fail_silently=True)  # type: ignore[misc]

    assert str(too_many.value) == (
        "send_mail() takes at most 9 positional argument(s) (including 5 deprecated) "
        "but 10 were given."
    )
    assert str(both.value) == (
        "send_mail() got both deprecated positional and keyword argument values for "
        "'fail_silently'."
    )


def test_mailers_code_warns_nothing(caught: list[Any]) -> None:
    configure(MAILERS={"default": {"BACKEND": LOCMEM}, "bulk": {"BACKEND": LOCMEM}})

    send_mail("s", "b", None, ["b@x.com"], using="bulk")
    pochta.mail.send_mass_mail([("s", "b", None, ["c@x.com"])])
    with pochta.mail.mailers["bulk"] as backend:
        backend.send_messages([EmailMessage("s", "b", None, ["d@x.com"])])

    assert caught == []


@pytest.mark.skipif(
    not hasattr(importlib.import_module("django.utils.deprecation"), "RemovedInDjango2028Warning"),
    reason="Django before 6.0.9 has no RemovedInDjango2028Warning",
)
def test_with_django_loaded_the_warning_is_djangos_class_too() -> None:
    code = """
        import warnings
        from django.utils.deprecation import RemovedInDjango2028Warning as Django
        import pochta.mail
        from pochta.mail.deprecation import RemovedInDjango2028Warning as Ours
        warnings.filterwarnings("error", category=Django)
        try:
            pochta.mail.get_connection("pochta.mail.backends.dummy.EmailBackend")
        except Django as error:
            print(type(error).__name__, isinstance(error, Ours))
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "RemovedInDjango2028Warning True\n"), done.stderr
