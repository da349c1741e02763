"""Where settings come from: configure(), then Django, then the environment, then defaults."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from pochta.exceptions import ConfigurationError
from pochta.mail import configure, reset
from pochta.mail.settings import DEFAULTS, get_list, get_setting

# Django 6.0's settings, kept working; their Django 6.1 warnings are in test_deprecation.py.
pytestmark = pytest.mark.filterwarnings(
    "ignore::pochta.mail.deprecation.RemovedInDjango2028Warning"
)


def test_defaults_are_djangos() -> None:
    assert {name: get_setting(name) for name in DEFAULTS} == {
        "EMAIL_BACKEND": "pochta.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "localhost",
        "EMAIL_PORT": 25,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_SSL_CERTFILE": None,
        "EMAIL_SSL_KEYFILE": None,
        "EMAIL_TIMEOUT": None,
        "EMAIL_FILE_PATH": None,
        "DEFAULT_FROM_EMAIL": "webmaster@localhost",
        "SERVER_EMAIL": "root@localhost",
        "EMAIL_SUBJECT_PREFIX": "[Django] ",
        "ADMINS": [],
        "MANAGERS": [],
        "EMAIL_USE_LOCALTIME": False,
        "DEFAULT_CHARSET": "utf-8",
        "EMAIL_QUEUE_PATH": ".pochta/queue.db",
        "EMAIL_QUEUE_BACKEND": "pochta.mail.backends.smtp.EmailBackend",
        "EMAIL_QUEUE_MAX_ATTEMPTS": 8,
        "EMAIL_QUEUE_RETRY_DELAY": 30.0,
        "EMAIL_QUEUE_MAX_RETRY_DELAY": 3600.0,
        "EMAIL_QUEUE_LEASE": 300.0,
    }


def test_queue_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMAIL_QUEUE_MAX_ATTEMPTS", "3")
    monkeypatch.setenv("EMAIL_QUEUE_RETRY_DELAY", "0.5")
    assert (get_setting("EMAIL_QUEUE_MAX_ATTEMPTS"), get_setting("EMAIL_QUEUE_RETRY_DELAY")) == (
        3,
        0.5,
    )
    monkeypatch.setenv("EMAIL_QUEUE_RETRY_DELAY", "soon")
    with pytest.raises(ConfigurationError, match="EMAIL_QUEUE_RETRY_DELAY='soon' is not a number"):
        get_setting("EMAIL_QUEUE_RETRY_DELAY")


def test_environment_values_are_parsed_by_type(monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {
        "EMAIL_PORT": "587",
        "EMAIL_USE_TLS": "true",
        "EMAIL_USE_SSL": "0",
        "EMAIL_USE_LOCALTIME": "Yes",
        "EMAIL_TIMEOUT": "2.5",
        "ADMINS": "ops@x.com, dev@x.com,",
        "EMAIL_HOST_PASSWORD": "p@ss word",
        "EMAIL_SSL_CERTFILE": "",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    assert {name: get_setting(name) for name in environment} == {
        "EMAIL_PORT": 587,
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_USE_LOCALTIME": True,
        "EMAIL_TIMEOUT": 2.5,
        "ADMINS": ["ops@x.com", "dev@x.com"],
        "EMAIL_HOST_PASSWORD": "p@ss word",
        "EMAIL_SSL_CERTFILE": None,
    }


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("EMAIL_PORT", "smtp", "EMAIL_PORT='smtp' is not a whole number"),
        ("EMAIL_USE_TLS", "maybe", "EMAIL_USE_TLS='maybe' is not a yes/no value"),
        ("EMAIL_TIMEOUT", "soon", "EMAIL_TIMEOUT='soon' is not a number of seconds"),
    ],
)
def test_bad_environment_value_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=fragment):
        get_setting(name)


def test_configure_wins_over_environment_and_reset_forgets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EMAIL_HOST", "env.example.com")
    configure(EMAIL_HOST="configured.example.com")
    configure(EMAIL_PORT=2525)

    assert (get_setting("EMAIL_HOST"), get_setting("EMAIL_PORT")) == (
        "configured.example.com",
        2525,
    )
    reset()
    assert (get_setting("EMAIL_HOST"), get_setting("EMAIL_PORT")) == ("env.example.com", 25)


def test_configure_refuses_lower_case_names() -> None:
    with pytest.raises(ConfigurationError, match="'email_host' is not upper case"):
        configure(email_host="x")


def test_unknown_setting_without_value_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="setting MY_BACKEND_REGION has no value"):
        get_setting("MY_BACKEND_REGION")
    monkeypatch.setenv("MY_BACKEND_REGION", "eu")
    assert get_setting("MY_BACKEND_REGION") == "eu"


def test_get_list_reads_a_single_string_as_comma_separated() -> None:
    configure(ADMINS="a@x.com,b@x.com")

    assert get_list("ADMINS") == ["a@x.com", "b@x.com"]


def run_python(code: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_importing_pochta_mail_does_not_import_django() -> None:
    out = run_python(
        """
        import sys
        import pochta.mail
        from pochta.mail.settings import get_setting
        get_setting("EMAIL_HOST")
        print("django" in sys.modules)
        """
    )
    assert out == "False\n"


def test_configured_django_settings_come_between_configure_and_environment() -> None:
    out = run_python(
        """
        import json, os
        os.environ["EMAIL_HOST"] = "env.example.com"
        os.environ["EMAIL_HOST_USER"] = "env-user"
        os.environ["EMAIL_FILE_PATH"] = "/tmp/from-env"
        from pochta.mail.settings import configure, get_setting
        import django.conf
        before = get_setting("EMAIL_HOST")
        django.conf.settings.configure(EMAIL_HOST="django.example.com", EMAIL_PORT=2525)
        configure(EMAIL_PORT=1025)
        print(json.dumps([before] + [get_setting(n) for n in
              ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_FILE_PATH")]))
        """
    )
    # Django's own defaults (EMAIL_HOST_USER="") win over the environment once it is
    # configured; EMAIL_FILE_PATH has no Django default, so the environment answers.
    assert json.loads(out) == [
        "env.example.com",
        "django.example.com",
        1025,
        "",
        "/tmp/from-env",
    ]
