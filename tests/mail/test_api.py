"""send_mail, send_mass_mail, mail_admins, mail_managers, get_connection: Django 6.0's way.

Without ``MAILERS`` all of it keeps working (the Django 6.1 deprecation warnings
it gives are tested in test_deprecation.py); the mailers are in test_mailers.py.
"""

from __future__ import annotations

import email
import email.policy
import io
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest

import pochta.mail
from pochta.exceptions import BackendNotFound, ConfigurationError
from pochta.mail import (
    EmailMessage,
    configure,
    get_connection,
    mail_admins,
    mail_managers,
    send_mail,
    send_mass_mail,
)
from pochta.mail.backends import console, locmem, smtp
from pochta.mail.backends.base import BaseEmailBackend, SendableMessage
from tests.mail.smtp_peer import free_port

LOCMEM = "pochta.mail.backends.locmem.EmailBackend"
pytestmark = pytest.mark.filterwarnings(
    "ignore::pochta.mail.deprecation.RemovedInDjango2028Warning"
)


class RecordingBackend(BaseEmailBackend):
    """A custom backend, as a user would write one."""

    instances: ClassVar[list[RecordingBackend]] = []

    def __init__(self, fail_silently: bool = False, **kwargs: object) -> None:
        # It takes every option itself, so nothing is left for the base class.
        super().__init__()
        self.fail_silently = fail_silently
        self.kwargs = kwargs
        self.batches: list[list[str]] = []
        RecordingBackend.instances.append(self)

    def send_messages(self, email_messages: Sequence[SendableMessage]) -> int:
        self.batches.append([m.message()["Subject"] for m in email_messages])
        return len(email_messages)


def test_get_connection_uses_email_backend_setting() -> None:
    assert isinstance(get_connection(), smtp.EmailBackend)
    configure(EMAIL_BACKEND=LOCMEM)
    assert isinstance(get_connection(), locmem.EmailBackend)


def test_get_connection_passes_fail_silently_and_keywords() -> None:
    stream = io.StringIO()
    connection = get_connection(
        "pochta.mail.backends.console.EmailBackend", fail_silently=True, stream=stream
    )

    assert isinstance(connection, console.EmailBackend)
    assert (connection.fail_silently, connection.stream) == (True, stream)


def test_custom_backend_by_dotted_path() -> None:
    path = f"{__name__}.RecordingBackend"
    connection = get_connection(path, region="eu")

    assert isinstance(connection, RecordingBackend)
    assert connection.kwargs == {"region": "eu"}


@pytest.mark.parametrize(
    ("path", "fragment"),
    [
        ("pochta.mail.backends.nosuch.EmailBackend", "No module named"),
        ("pochta.mail.backends.console.NoSuchBackend", 'define a "NoSuchBackend" attribute'),
        ("nonsense", "doesn't look like a module path"),
    ],
)
def test_unknown_backend_path_is_backend_not_found(path: str, fragment: str) -> None:
    with pytest.raises(BackendNotFound, match=fragment) as error:
        get_connection(path)
    assert path in str(error.value)
    assert isinstance(error.value, ImportError)


def test_send_mail_returns_one_and_puts_everyone_in_to() -> None:
    configure(EMAIL_BACKEND=LOCMEM)

    assert send_mail("s", "b", "a@x.com", ["b@x.com", "c@x.com"]) == 1

    [message] = pochta.mail.outbox
    assert str(message.message()["To"]) == "b@x.com, c@x.com"


def test_send_mail_with_html_message_is_multipart_alternative() -> None:
    configure(EMAIL_BACKEND=LOCMEM)

    send_mail("s", "Plain", None, ["b@x.com"], html_message="<p>HTML</p>")

    raw = pochta.mail.outbox[0].message().as_bytes()
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert str(parsed["From"]) == "webmaster@localhost"


def test_send_mail_passes_credentials_to_the_backend() -> None:
    configure(EMAIL_BACKEND=f"{__name__}.RecordingBackend")
    RecordingBackend.instances.clear()

    send_mail("s", "b", "a@x.com", ["b@x.com"], auth_user="u", auth_password="p")

    [backend] = RecordingBackend.instances
    assert backend.kwargs == {"username": "u", "password": "p"}
    assert backend.batches == [["s"]]


def test_send_mail_with_no_recipients_returns_zero() -> None:
    configure(EMAIL_BACKEND=LOCMEM)

    assert send_mail("s", "b", "a@x.com", []) == 0
    assert pochta.mail.outbox == []


def test_send_mass_mail_uses_one_connection_and_counts() -> None:
    configure(EMAIL_BACKEND=f"{__name__}.RecordingBackend")
    RecordingBackend.instances.clear()
    datatuple = (
        ("one", "b", "a@x.com", ["b@x.com"]),
        ("two", "b", None, ["c@x.com"]),
        ("three", "b", "a@x.com", ["d@x.com", "e@x.com"]),
    )

    assert send_mass_mail(datatuple) == 3
    [backend] = RecordingBackend.instances
    assert backend.batches == [["one", "two", "three"]]


def test_mail_admins_uses_prefix_server_email_and_admins() -> None:
    configure(
        EMAIL_BACKEND=LOCMEM,
        ADMINS=["ops@x.com", "dev@x.com"],
        SERVER_EMAIL="server@x.com",
    )

    mail_admins("Disk full", "Details", html_message="<b>Details</b>")

    [message] = pochta.mail.outbox
    assert (message.subject, message.from_email, message.to) == (
        "[Django] Disk full",
        "server@x.com",
        ["ops@x.com", "dev@x.com"],
    )
    assert message.alternatives == [("<b>Details</b>", "text/html")]


def test_mail_managers_with_custom_prefix() -> None:
    configure(EMAIL_BACKEND=LOCMEM, MANAGERS=["boss@x.com"], EMAIL_SUBJECT_PREFIX="[Tasks] ")

    mail_managers("New task", "Body")

    assert [(m.subject, m.to) for m in pochta.mail.outbox] == [
        ("[Tasks] New task", ["boss@x.com"])
    ]


def test_mail_admins_with_no_admins_sends_nothing() -> None:
    configure(EMAIL_BACKEND=LOCMEM)

    mail_admins("s", "b")
    mail_managers("s", "b")
    # Not even a backend was made (it would have created the outbox).
    assert not hasattr(pochta.mail, "outbox")


def test_legacy_name_address_pairs_in_admins_are_accepted() -> None:
    configure(EMAIL_BACKEND=LOCMEM, ADMINS=[("Ops", "ops@x.com")])

    mail_admins("s", "b")

    assert pochta.mail.outbox[0].to == ["ops@x.com"]


def test_admins_that_are_not_addresses_are_a_configuration_error() -> None:
    configure(EMAIL_BACKEND=LOCMEM, ADMINS=[42])

    with pytest.raises(ConfigurationError, match="ADMINS setting must be a list"):
        mail_admins("s", "b")


def test_message_send_passes_fail_silently_to_its_backend() -> None:
    configure(EMAIL_HOST="127.0.0.1", EMAIL_PORT=free_port())
    message = EmailMessage("s", "b", "a@x.com", ["b@x.com"])

    assert message.send(fail_silently=True) == 0
    with pytest.raises(ConnectionRefusedError):
        message.send()
    assert "connection" not in vars(message)  # Django 6.1 no longer keeps the backend


def test_fail_silently_with_a_connection_is_a_type_error() -> None:
    connection = get_connection(LOCMEM)

    with pytest.raises(TypeError, match=r"^fail_silently cannot be used with a connection"):
        send_mail("s", "b", "a@x.com", ["b@x.com"], fail_silently=True, connection=connection)
    with pytest.raises(TypeError, match=r"^auth_user and auth_password cannot be used"):
        send_mass_mail([], auth_user="u", connection=connection)
    with pytest.raises(TypeError, match=r"^fail_silently cannot be used with a connection"):
        EmailMessage("s", "b", None, ["b@x.com"], connection=connection).send(True)
    assert pochta.mail.outbox == []


def test_get_connection_without_fail_silently_passes_none_to_the_backend() -> None:
    # Django 6.1 passes fail_silently only when it is true.
    connection = get_connection(f"{__name__}.RecordingBackend")

    assert isinstance(connection, RecordingBackend)
    assert (connection.fail_silently, connection.kwargs) == (False, {})


def test_a_backend_module_added_later_loads_by_its_dotted_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As pochta.mail.backends.store will: a new module, found by import alone.
    package = tmp_path / "outbound"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "pigeon.py").write_text(
        "from pochta.mail.backends.base import BaseEmailBackend\n"
        "class EmailBackend(BaseEmailBackend):\n"
        "    def send_messages(self, email_messages):\n"
        "        return 7 * len(email_messages)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    configure(EMAIL_BACKEND="outbound.pigeon.EmailBackend")

    assert send_mail("s", "b", "a@x.com", ["b@x.com"]) == 7


def test_public_names_and_signatures_match_django() -> None:
    import inspect

    from django.core import mail as django_mail

    import django

    if django.VERSION < (6, 1):
        pytest.skip("pochta.mail has Django 6.1's names and signatures")

    deprecated = {
        "BadHeaderError",
        "SafeMIMEText",
        "SafeMIMEMultipart",
        "forbid_multi_line_headers",
    }
    assert set(django_mail.__all__) - deprecated <= set(pochta.mail.__all__)
    assert all(hasattr(pochta.mail, name) for name in pochta.mail.__all__)

    def shape(function: object) -> list[tuple[str, object]]:
        parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
        return [(p.name, p.default) for p in parameters]

    for name in ("send_mail", "send_mass_mail", "mail_admins", "mail_managers", "get_connection"):
        assert shape(getattr(pochta.mail, name)) == shape(getattr(django_mail, name)), name
    for name in ("EmailMessage", "EmailMultiAlternatives"):
        ours, theirs = getattr(pochta.mail, name), getattr(django_mail, name)
        assert sorted(shape(ours.__init__)) == sorted(shape(theirs.__init__)), name
        for method in ("message", "recipients", "send", "attach", "attach_file"):
            assert shape(getattr(ours, method)) == shape(getattr(theirs, method)), method
