"""pochta.django.catcher: the catcher's settings worked out from a Django project's settings."""

from __future__ import annotations

import datetime
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pochta.config import HostPort, Settings
from pochta.django.catcher import catcher_settings, is_listening, smtp_target
from pochta.exceptions import ConfigurationError

SMTP = "django.core.mail.backends.smtp.EmailBackend"


def test_a_project_that_sets_nothing_gets_pochta_serve_defaults() -> None:
    assert catcher_settings({}) == Settings()


def test_smtp_follows_email_port_on_a_loopback_host() -> None:
    project = {"EMAIL_BACKEND": SMTP, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": 2525}
    assert catcher_settings(project).smtp == HostPort("127.0.0.1", 2525)


def test_localhost_means_127_0_0_1_and_pochtas_smtp_backend_counts() -> None:
    project = {
        "EMAIL_BACKEND": "pochta.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "LocalHost",
        "EMAIL_PORT": "2526",
    }
    assert catcher_settings(project).smtp == HostPort("127.0.0.1", 2526)


@pytest.mark.parametrize(
    "project",
    [
        {"EMAIL_HOST": "smtp.example.com", "EMAIL_PORT": 2525},
        {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_PORT": 2525},
        {"EMAIL_HOST": "127.0.0.1"},
        {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": "not a port"},
        {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": 70000},
    ],
)
def test_smtp_keeps_its_default_unless_the_project_sends_here(project: dict[str, object]) -> None:
    assert catcher_settings(project).smtp == HostPort("127.0.0.1", 1025)


def test_store_goes_under_base_dir(tmp_path: Path) -> None:
    assert catcher_settings({"BASE_DIR": tmp_path}).database == tmp_path / ".pochta" / "mail.db"


def test_pochta_dict_wins_over_pochta_settings_and_email_port(tmp_path: Path) -> None:
    project = {
        "EMAIL_PORT": 2525,
        "BASE_DIR": tmp_path,
        "POCHTA_SMTP": "127.0.0.1:2600",
        "POCHTA_LISTEN": "127.0.0.1:9025",
        "POCHTA": {"SMTP": "127.0.0.1:2700", "DATABASE": str(tmp_path / "m.db"), "MAX_AGE": "3d"},
    }
    settings = catcher_settings(project)
    assert (settings.smtp, settings.listen, settings.database, settings.max_age) == (
        HostPort("127.0.0.1", 2700),
        HostPort("127.0.0.1", 9025),
        tmp_path / "m.db",
        datetime.timedelta(days=3),
    )


def test_options_win_and_unset_options_are_ignored(tmp_path: Path) -> None:
    project = {"POCHTA": {"SMTP": "127.0.0.1:2700", "LISTEN": "127.0.0.1:9025"}}
    overrides = {"smtp": HostPort("127.0.0.1", 0), "listen": None, "database": tmp_path / "x.db"}
    settings = catcher_settings(project, overrides)
    assert (settings.smtp, settings.listen, settings.database) == (
        HostPort("127.0.0.1", 0),
        HostPort("127.0.0.1", 9025),
        tmp_path / "x.db",
    )


def test_a_project_that_logs_in_gets_auth_that_accepts_any_login() -> None:
    project = {"EMAIL_PORT": 2525, "EMAIL_HOST_USER": "app", "EMAIL_HOST_PASSWORD": "secret"}
    assert catcher_settings(project).smtp_auth_accept_any is True
    assert (
        catcher_settings({"EMAIL_PORT": 2525, "EMAIL_HOST_USER": "app"}).smtp_auth_accept_any
        is False
    )


def test_an_auth_file_replaces_accept_any(tmp_path: Path) -> None:
    project = {
        "EMAIL_PORT": 2525,
        "EMAIL_HOST_USER": "app",
        "EMAIL_HOST_PASSWORD": "secret",
        "POCHTA": {"SMTP_AUTH_FILE": str(tmp_path / "logins")},
    }
    settings = catcher_settings(project)
    assert (settings.smtp_auth_file, settings.smtp_auth_accept_any) == (tmp_path / "logins", False)


@pytest.mark.parametrize(
    ("project", "message"),
    [
        ({"POCHTA": ["DATABASE"]}, "POCHTA setting ['DATABASE'] is not a dict"),
        (
            {"POCHTA": {"PORT": 1025, "SMPT": "x"}},
            "POCHTA has unknown keys PORT, SMPT; known keys",
        ),
        ({"POCHTA": {"SMTP": "1025"}}, "--smtp '1025' is not HOST:PORT"),
        ({"POCHTA": {"MAX": -1}}, "--max -1 is not a count"),
        ({"POCHTA_MAX_AGE": "soon"}, "--max-age 'soon' is not a duration"),
    ],
)
def test_bad_settings_name_the_value_and_the_fix(project: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        catcher_settings(project)
    assert str(raised.value).startswith(message)


def test_smtp_target_is_only_ever_this_machine() -> None:
    assert smtp_target({}) == HostPort("127.0.0.1", 25)
    assert smtp_target({"EMAIL_HOST": "::1", "EMAIL_PORT": 1025}) == HostPort("::1", 1025)
    assert smtp_target({"EMAIL_HOST": "10.0.0.1", "EMAIL_PORT": 1025}) is None
    assert smtp_target({"EMAIL_HOST": "mail.example.com"}) is None
    assert smtp_target({"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}) is None


def test_is_listening_knocks_once() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = HostPort("127.0.0.1", server.getsockname()[1])
        assert is_listening(address) is True
    assert is_listening(address) is False


def test_the_package_and_its_plain_modules_import_without_django() -> None:
    code = (
        "import sys; sys.modules['django'] = None\n"
        "import pochta.django, pochta.django.catcher, pochta.django.demo\n"
        "print(sorted(m for m in sys.modules if m.startswith('django')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "['django']\n", "")


def mailers(**entries: object) -> dict[str, object]:
    return {"MAILERS": entries}


def test_with_mailers_the_default_mailer_says_where_smtp_goes() -> None:
    project = mailers(default={"OPTIONS": {"host": "localhost", "port": 2525}})
    assert catcher_settings(project).smtp == HostPort("127.0.0.1", 2525)
    assert smtp_target(project) == HostPort("127.0.0.1", 2525)


def test_with_mailers_an_implied_port_is_not_followed() -> None:
    # Django's port follows use_tls (587) when OPTIONS give none; the catcher keeps 1025.
    project = mailers(default={"OPTIONS": {"host": "127.0.0.1", "use_tls": True}})
    assert smtp_target(project) == HostPort("127.0.0.1", 587)
    assert catcher_settings(project).smtp == HostPort("127.0.0.1", 1025)


def test_with_mailers_login_options_mean_auth_that_accepts_any_login() -> None:
    options = {"host": "127.0.0.1", "port": 2525, "username": "app", "password": "secret"}
    assert catcher_settings(mailers(default={"OPTIONS": options})).smtp_auth_accept_any is True


@pytest.mark.parametrize(
    "project",
    [
        mailers(default={"BACKEND": "pochta.mail.backends.store.EmailBackend"}),
        mailers(default={"OPTIONS": {"host": "smtp.example.com", "port": 2525}}),
        mailers(default={"OPTIONS": {"port": 2525}}),  # no host: Django refuses it anyway
        mailers(bulk={"OPTIONS": {"host": "127.0.0.1", "port": 2525}}),  # not the default
        mailers(default={"OPTIONS": ["host"]}),
        {"MAILERS": None},
        mailers(),
    ],
)
def test_with_mailers_smtp_keeps_its_default_unless_the_default_mailer_sends_here(
    project: dict[str, object],
) -> None:
    assert catcher_settings(project).smtp == HostPort("127.0.0.1", 1025)


def test_every_smtp_mailer_on_this_machine_is_a_target_the_default_first() -> None:
    from pochta.django.target import smtp_targets

    project = mailers(
        bulk={"BACKEND": "pochta.mail.backends.smtp.EmailBackend", "OPTIONS": {"host": "::1"}},
        files={"BACKEND": "django.core.mail.backends.filebased.EmailBackend"},
        default={"OPTIONS": {"host": "localhost", "port": 1025, "use_ssl": True}},
    )
    assert [(t.label, t.address, t.port_setting) for t in smtp_targets(project)] == [
        (
            f"MAILERS['default'] ({SMTP})",
            HostPort("127.0.0.1", 1025),
            "MAILERS['default']['OPTIONS']['port']",
        ),
        (
            "MAILERS['bulk'] (pochta.mail.backends.smtp.EmailBackend)",
            HostPort("::1", 25),
            "MAILERS['bulk']['OPTIONS']['port']",
        ),
    ]
