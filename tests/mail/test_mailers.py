"""``MAILERS`` and ``pochta.mail.mailers``, as Django 6.1 defines them (docs/topics/email.txt).

The texts are Django 6.1.3's; pochta's own hint may follow Django's sentence.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from typing import Any

import pytest

import pochta.mail
from pochta.exceptions import ConfigurationError, InvalidMailer, MailerDoesNotExist
from pochta.mail import configure, get_connection, mailers, send_mail
from pochta.mail.backends import console, locmem, smtp
from pochta.mail.settings import get_mailers, get_setting

LOCMEM = "pochta.mail.backends.locmem.EmailBackend"
CONSOLE = "pochta.mail.backends.console.EmailBackend"
LEGACY = pytest.mark.filterwarnings("ignore::pochta.mail.deprecation.RemovedInDjango2028Warning")


def test_each_lookup_makes_a_new_backend_with_the_alias_and_options() -> None:
    configure(
        MAILERS={
            "default": {"BACKEND": LOCMEM},
            "custom": {"BACKEND": CONSOLE, "OPTIONS": {"fail_silently": True}},
        }
    )

    first, second = mailers["custom"], mailers["custom"]

    assert isinstance(first, console.EmailBackend)
    assert first is not second  # nothing is cached: the caller owns the backend
    assert (first.alias, first.fail_silently) == ("custom", True)
    assert (mailers.default.alias, type(mailers.default)) == ("default", locmem.EmailBackend)
    assert mailers.get("custom").alias == "custom"


def test_backend_defaults_to_smtp_and_options_are_keyword_arguments() -> None:
    options = {"host": "smtp.example.net", "use_tls": True, "username": "u", "password": "p"}
    configure(MAILERS={"default": {"OPTIONS": options}})

    backend = mailers.default

    assert isinstance(backend, smtp.EmailBackend)
    assert (backend.host, backend.port, backend.use_tls, backend.username) == (
        "smtp.example.net",
        587,
        True,
        "u",
    )
    assert options == {
        "host": "smtp.example.net",
        "use_tls": True,
        "username": "u",
        "password": "p",
    }  # the setting is not changed


def test_in_and_iteration_read_the_setting_and_make_no_backend() -> None:
    configure(MAILERS={"b": {"BACKEND": "no.such.Backend"}, "a": {"BACKEND": LOCMEM}})

    assert list(mailers) == ["b", "a"]
    assert ("b" in mailers, "default" in mailers) == (True, False)
    assert not hasattr(pochta.mail, "outbox")


def test_unknown_alias_is_mailer_does_not_exist_a_key_error() -> None:
    configure(MAILERS={"default": {"BACKEND": LOCMEM}})

    with pytest.raises(MailerDoesNotExist) as error:
        mailers["nope"]

    assert error.value.args == ("The mailer 'nope' is not configured.",)
    assert str(error.value) == "\"The mailer 'nope' is not configured.\""  # KeyError's quotes
    assert isinstance(error.value, KeyError | InvalidMailer | ConfigurationError | ValueError)
    assert mailers.get("nope") is None
    assert mailers.get("nope", "fallback") == "fallback"


def test_mailer_does_not_exist_takes_only_the_alias() -> None:
    with pytest.raises(TypeError):
        MailerDoesNotExist("The mailer 'x' is not configured.")  # type: ignore[call-arg]
    assert str(InvalidMailer("m")) == "m"
    assert str(InvalidMailer("m", alias="x")) == "MAILERS['x']: m"


def test_get_raises_every_other_configuration_error() -> None:
    configure(MAILERS={"default": {}})

    with pytest.raises(InvalidMailer) as error:
        mailers.get("default")

    assert str(error.value) == "MAILERS['default']: OPTIONS must define 'host'."


def test_alias_is_positional_only_in_get() -> None:
    with pytest.raises(TypeError, match="positional-only"):
        mailers.get(alias="default")  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"BACKEND": LOCMEM, "OPTIONS": {"alias": "x"}}, "OPTIONS must not define 'alias'."),
        ({"BACKEND": "foo.bar"}, "Could not find BACKEND 'foo.bar': No module named 'foo'"),
        (
            {"BACKEND": "pochta.mail.backends.locmem.NoSuch"},
            "Could not find BACKEND 'pochta.mail.backends.locmem.NoSuch': Module "
            '"pochta.mail.backends.locmem" does not define a "NoSuch" attribute/class',
        ),
        ({"OPTIONS": {"host": "h", "use_ssl": True, "use_tls": True}}, "The 'use_ssl' and"),
        ({"BACKEND": LOCMEM, "OPTIONS": {"foo": 1, "bar": 2}}, "Unknown options 'foo', 'bar'."),
        ({"OPTIONS": {"hots": "h"}}, "Unknown options 'hots'."),
    ],
)
def test_entry_errors_name_the_mailer(entry: dict[str, Any], message: str) -> None:
    configure(MAILERS={"custom": entry})

    with pytest.raises(InvalidMailer) as error:
        mailers["custom"]

    assert str(error.value).startswith(f"MAILERS['custom']: {message}")


def test_unknown_option_error_says_which_options_the_backend_takes() -> None:
    configure(MAILERS={"custom": {"OPTIONS": {"hots": "h"}}})

    with pytest.raises(InvalidMailer) as error:
        mailers["custom"]

    assert str(error.value) == (
        "MAILERS['custom']: Unknown options 'hots'. pochta.mail.backends.smtp.EmailBackend "
        "takes 'host', 'port', 'username', 'password', 'use_tls', 'fail_silently', "
        "'use_ssl', 'timeout', 'ssl_keyfile', 'ssl_certfile'."
    )


def test_empty_mailers_disables_sending_and_hides_the_email_settings() -> None:
    configure(MAILERS={})

    with pytest.raises(MailerDoesNotExist, match="The mailer 'default' is not configured"):
        send_mail("s", "b", "a@x.com", ["b@x.com"])
    with pytest.raises(ConfigurationError) as error:
        get_setting("EMAIL_HOST")
    assert str(error.value).startswith(
        "The EMAIL_HOST setting is not available when MAILERS is defined"
    )
    assert get_setting("DEFAULT_FROM_EMAIL") == "webmaster@localhost"  # not deprecated


def test_mailers_and_deprecated_settings_together_are_refused_and_kept_out() -> None:
    configure(EMAIL_SUBJECT_PREFIX="[x] ")

    with pytest.raises(ConfigurationError) as error:
        configure(MAILERS={"default": {"BACKEND": LOCMEM}}, EMAIL_PORT=25, EMAIL_HOST="h")

    assert str(error.value).startswith(
        "Deprecated email settings are not allowed when MAILERS is defined: "
        "EMAIL_HOST, EMAIL_PORT."
    )
    assert get_mailers() is None  # nothing of the refused call was kept
    assert get_setting("EMAIL_SUBJECT_PREFIX") == "[x] "


@LEGACY
def test_mailers_after_an_email_setting_in_configure_is_refused() -> None:
    configure(EMAIL_HOST="h")

    with pytest.raises(
        ConfigurationError, match="not allowed when MAILERS is defined: EMAIL_HOST"
    ):
        configure(MAILERS={})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["default"], "MAILERS ['default'] is not a dict"),
        ({"default": None}, "MAILERS['default']: None is not a dict"),
        ({"default": {"OPTION": {}}}, "MAILERS['default']: unknown keys 'OPTION'"),
        ({"default": {"BACKEND": 42}}, "MAILERS['default']: BACKEND 42 is not a dotted path"),
        ({"default": {"OPTIONS": [1]}}, "MAILERS['default']: OPTIONS [1] is not a dict"),
        ({1: {}}, "MAILERS alias 1 is not a string"),
    ],
)
def test_a_malformed_setting_is_refused_when_configured(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError) as error:
        configure(MAILERS=value)

    assert str(error.value).startswith(message)
    assert get_mailers() is None


def test_mailers_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    value = {"default": {"BACKEND": LOCMEM}, "bulk": {"OPTIONS": {"host": "h", "port": 2525}}}
    monkeypatch.setenv("MAILERS", json.dumps(value))

    assert get_mailers() == value
    bulk = mailers["bulk"]
    assert isinstance(bulk, smtp.EmailBackend)
    assert (bulk.host, bulk.port) == ("h", 2525)
    assert send_mail("s", "b", "a@x.com", ["b@x.com"]) == 1
    assert pochta.mail.outbox[0].sent_using == "default"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{default: 1}", "environment variable MAILERS is not valid JSON"),
        ('{"default": 1}', "MAILERS['default']: 1 is not a dict"),
    ],
)
def test_bad_mailers_in_the_environment_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.setenv("MAILERS", text)

    with pytest.raises(ConfigurationError) as error:
        mailers["default"]
    assert str(error.value).startswith(message)


def test_mailers_and_email_variables_together_in_the_environment_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MAILERS", "{}")
    monkeypatch.setenv("EMAIL_PORT", "1025")

    with pytest.raises(
        ConfigurationError, match="not allowed when MAILERS is defined: EMAIL_PORT"
    ):
        get_mailers()


def test_an_empty_mailers_variable_is_not_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILERS", " ")

    assert get_mailers() is None


def test_configure_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILERS", '{"env": {}}')
    configure(MAILERS={"code": {"BACKEND": LOCMEM}})

    assert list(mailers) == ["code"]


@LEGACY
def test_without_mailers_only_the_default_mailer_exists_made_the_old_way() -> None:
    configure(EMAIL_BACKEND=LOCMEM)

    backend = mailers.default

    assert (type(backend), backend.alias) == (locmem.EmailBackend, None)
    assert (list(mailers), "default" in mailers) == ([], False)
    with pytest.raises(MailerDoesNotExist):
        mailers["other"]


def test_get_connection_with_mailers_is_the_default_mailer_with_overrides(
    recwarn: pytest.WarningsRecorder,
) -> None:
    configure(MAILERS={"default": {"BACKEND": LOCMEM}})

    # host= is not a locmem option: it is dropped, not "unknown" (Django 6.1's rule).
    backend = get_connection(fail_silently=True, host="ignored")

    assert (type(backend), backend.alias) == (locmem.EmailBackend, "default")
    with pytest.raises(RuntimeError, match=r"^get_connection\(backend, \.\.\.\) is not supported"):
        get_connection(LOCMEM)
    assert [str(w.message)[:30] for w in recwarn] == ["get_connection() is deprecated"] * 2


def test_get_connection_overrides_options_of_the_default_mailer(
    recwarn: pytest.WarningsRecorder,
) -> None:
    configure(MAILERS={"default": {"OPTIONS": {"host": "smtp.example.net", "port": 25}}})

    backend = get_connection(port=2525, username="admin")

    assert isinstance(backend, smtp.EmailBackend)
    assert (backend.host, backend.port, backend.username) == ("smtp.example.net", 2525, "admin")
    assert get_setting("MAILERS")["default"]["OPTIONS"] == {"host": "smtp.example.net", "port": 25}


def test_configuration_errors_pickle_with_their_message() -> None:
    for error in (MailerDoesNotExist(alias="x"), InvalidMailer("bad", alias="y")):
        again = pickle.loads(pickle.dumps(error))
        assert (type(again), again.args) == (type(error), error.args)


def test_configuration_errors_are_improperly_configured_once_django_is_loaded() -> None:
    code = """
import pochta.mail
from pochta.exceptions import ConfigurationError
pochta.mail.configure(MAILERS={})
def kinds():
    try:
        pochta.mail.mailers["nope"]
    except ConfigurationError as error:
        import sys
        exceptions = sys.modules.get("django.core.exceptions")
        loaded = exceptions is not None and isinstance(error, exceptions.ImproperlyConfigured)
        return [type(error).__name__, isinstance(error, KeyError | ValueError), loaded]
before = kinds()
import django.core.exceptions
try:
    pochta.mail.mailers["nope"]
except django.core.exceptions.ImproperlyConfigured as error:
    print(before, kinds())
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )

    assert (done.returncode, done.stdout) == (
        0,
        "['MailerDoesNotExist', True, False] ['MailerDoesNotExist', True, True]\n",
    ), done.stderr
