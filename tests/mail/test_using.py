"""``using=`` on every way of sending, and what may not come with it (Django 6.1)."""

from __future__ import annotations

from typing import Any

import pytest

import pochta.mail
from pochta.exceptions import ConfigurationError, MailerDoesNotExist
from pochta.mail import (
    EmailMessage,
    EmailMultiAlternatives,
    configure,
    mail_admins,
    mail_managers,
    mailers,
    send_mail,
    send_mass_mail,
)

LOCMEM = {"BACKEND": "pochta.mail.backends.locmem.EmailBackend"}


@pytest.fixture(autouse=True)
def two_mailers() -> None:
    configure(
        MAILERS={"default": LOCMEM, "bulk": LOCMEM},
        ADMINS=["ops@x.com"],
        MANAGERS=["boss@x.com"],
        SERVER_EMAIL="server@x.com",
    )


def sent() -> list[tuple[str, list[str], str | None]]:
    return [(m.subject, m.to, m.sent_using) for m in pochta.mail.outbox]


def test_every_sending_function_takes_using() -> None:
    assert send_mail("one", "b", "a@x.com", ["b@x.com"], using="bulk") == 1
    assert send_mass_mail([("two", "b", None, ["c@x.com"])], using="bulk") == 1
    assert mail_admins("three", "b", using="bulk") is None
    assert mail_managers("four", "b", using="bulk") is None
    assert EmailMessage("five", "b", None, ["d@x.com"]).send(using="bulk") == 1
    assert send_mail("six", "b", None, ["e@x.com"]) == 1

    assert sent() == [
        ("one", ["b@x.com"], "bulk"),
        ("two", ["c@x.com"], "bulk"),
        ("[Django] three", ["ops@x.com"], "bulk"),
        ("[Django] four", ["boss@x.com"], "bulk"),
        ("five", ["d@x.com"], "bulk"),
        ("six", ["e@x.com"], "default"),
    ]


def test_html_message_with_using() -> None:
    send_mail("s", "text", None, ["b@x.com"], html_message="<p>html</p>", using="bulk")

    [message] = pochta.mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.alternatives == [("<p>html</p>", "text/html")]


def test_an_unknown_alias_sends_nothing() -> None:
    with pytest.raises(MailerDoesNotExist):
        send_mail("s", "b", None, ["b@x.com"], using="nope")
    with pytest.raises(MailerDoesNotExist):
        send_mass_mail([], using="nope")  # resolved before the (empty) batch
    assert not hasattr(pochta.mail, "outbox")


def test_nothing_to_send_looks_up_no_mailer() -> None:
    configure(ADMINS=[])

    assert send_mail("s", "b", None, [], using="nope") == 0
    assert EmailMessage("s", "b", None, []).send(using="nope") == 0
    assert mail_admins("s", "b", using="nope") is None


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"connection": "c"}, "'connection' is not compatible with 'using'."),
        ({"fail_silently": True}, "'fail_silently' is not compatible with 'using'."),
        (
            {"auth_user": "u"},
            "'auth_user' and 'auth_password' are not compatible with 'using'. "
            "Set 'username' and 'password' OPTIONS in MAILERS instead.",
        ),
        (
            {"connection": "c", "fail_silently": True},
            "'connection' is not compatible with 'using'.",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore::pochta.mail.deprecation.RemovedInDjango2028Warning")
def test_legacy_arguments_with_using_are_type_errors(
    arguments: dict[str, Any], message: str
) -> None:
    if "connection" in arguments:
        arguments["connection"] = mailers["bulk"]

    with pytest.raises(TypeError) as error:
        send_mail("s", "b", None, ["b@x.com"], using="bulk", **arguments)
    assert str(error.value) == message
    with pytest.raises(TypeError, match="not compatible with 'using'"):
        send_mass_mail([("s", "b", None, ["b@x.com"])], using="bulk", **arguments)
    assert getattr(pochta.mail, "outbox", []) == []


@pytest.mark.filterwarnings("ignore::pochta.mail.deprecation.RemovedInDjango2028Warning")
def test_fail_silently_false_goes_with_using() -> None:
    assert send_mail("s", "b", None, ["b@x.com"], fail_silently=False, using="bulk") == 1
    assert EmailMessage("s", "b", None, ["b@x.com"]).send(False, using="bulk") == 1


@pytest.mark.filterwarnings("ignore::pochta.mail.deprecation.RemovedInDjango2028Warning")
def test_a_message_with_a_connection_refuses_using() -> None:
    message = EmailMessage("s", "b", None, ["b@x.com"], connection=mailers["bulk"])

    with pytest.raises(TypeError, match=r"^'connection' is not compatible with 'using'\.$"):
        message.send(using="default")
    assert message.send() == 1
    assert sent() == [("s", ["b@x.com"], "bulk")]
    assert message.connection is not None  # 6.1 keeps the given connection, sets nothing new


def test_using_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        EmailMessage("s", "b", None, ["b@x.com"]).send(False, "bulk")  # type: ignore[call-arg]


def test_a_subclass_defining_get_connection_is_refused_at_send() -> None:
    class Legacy(EmailMessage):
        def get_connection(self) -> None:
            """Django 6.0's undocumented hook, gone in 6.1."""

    with pytest.raises(AttributeError, match="no longer supports the undocumented get_connection"):
        Legacy("s", "b", None, ["b@x.com"]).send()
    assert Legacy("s", "b", None, []).send() == 0  # no recipients: returns before the check


def test_bcc_header_is_refused_use_the_bcc_argument() -> None:
    message = EmailMessage("s", "b", None, ["b@x.com"], headers={"BCC": "hidden@x.com"})

    with pytest.raises(ValueError, match=r"^Bcc is not a valid email header\. Use the \"bcc\""):
        message.send(using="bulk")
    assert not hasattr(pochta.mail, "outbox") or pochta.mail.outbox == []


def lazy(text: str) -> Any:
    from django.utils.functional import lazy as make_lazy

    return make_lazy(lambda: text, str)()


def test_admins_may_be_lazy_translation_strings() -> None:
    configure(ADMINS=[lazy("lazy@x.com")], MANAGERS=(lazy("m@x.com"), "n@x.com"))

    mail_admins("s", "b")
    mail_managers("s", "b")

    assert [m.to for m in pochta.mail.outbox] == [["lazy@x.com"], ["m@x.com", "n@x.com"]]


@pytest.mark.parametrize(
    "value", ["ops@x.com", [1], [["a", "b", "c"]], [("Ops", "ops@x.com"), "dev@x.com"]]
)
def test_admins_must_be_a_list_of_address_strings(value: Any) -> None:
    configure(ADMINS=value)

    with pytest.raises(ConfigurationError) as error:
        mail_admins("s", "b")
    assert str(error.value).startswith(
        "The ADMINS setting must be a list of email address strings."
    )
    assert not hasattr(pochta.mail, "outbox")


def test_admins_from_the_environment_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    pochta.mail.reset()
    configure(MAILERS={"default": LOCMEM})
    monkeypatch.setenv("ADMINS", "ops@x.com, dev@x.com")

    mail_admins("s", "b")

    assert pochta.mail.outbox[0].to == ["ops@x.com", "dev@x.com"]


def test_name_address_pairs_are_read_with_djangos_warning() -> None:
    configure(ADMINS=[("Ops", "ops@x.com")])

    with pytest.warns(PendingDeprecationWarning) as caught:
        mail_admins("s", "b")

    assert [str(w.message) for w in caught] == [
        "Using (name, address) pairs in the ADMINS setting is deprecated. "
        "Replace with a list of email address strings."
    ]
    assert caught[0].filename == __file__
    assert pochta.mail.outbox[0].to == ["ops@x.com"]


def test_mixed_and_alternative_subtypes_are_refused_as_in_django_6() -> None:
    attached = EmailMessage("s", "b", None, ["b@x.com"], attachments=[("a.txt", "x", None)])
    attached.mixed_subtype = "related"  # type: ignore[attr-defined]
    alternative = EmailMultiAlternatives("s", "b", None, ["b@x.com"])
    alternative.alternative_subtype = "related"  # type: ignore[attr-defined]
    alternative.attach_alternative("<p>b</p>", "text/html")
    plain = EmailMessage("s", "b", None, ["b@x.com"])
    plain.mixed_subtype = "related"  # type: ignore[attr-defined]

    with pytest.raises(AttributeError) as mixed:
        attached.message()
    with pytest.raises(AttributeError) as alt:
        alternative.message()

    assert str(mixed.value) == (
        "EmailMessage no longer supports the undocumented `mixed_subtype` attribute"
    )
    assert str(alt.value) == (
        "EmailMultiAlternatives no longer supports the undocumented `alternative_subtype` "
        "attribute"
    )
    assert plain.message().get_content_type() == "text/plain"  # nothing to mix: no error
