"""The pochta.W001 system check, run by the Task site's ``manage.py check``.

The site uses ``MAILERS`` on Django 6.1 and ``EMAIL_BACKEND`` before: the
warning names whichever says where the mail goes.
"""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import django
from tests.django.django_site import SITE, free_port, manage, site_env

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

NO_ISSUES = "System check identified no issues (0 silenced).\n"


SMTP = "django.core.mail.backends.smtp.EmailBackend"
STORE = "'pochta.mail.backends.store.EmailBackend'"


def test_warns_when_nothing_listens_on_the_smtp_port() -> None:
    port = free_port()
    output = manage("check", env=site_env(EMAIL_PORT=str(port)))
    if django.VERSION >= (6, 1):
        backend, instead = (
            f"MAILERS['default'] ({SMTP})",
            f"give MAILERS['default'] the BACKEND {STORE}",
        )
    else:
        backend, instead = f"EMAIL_BACKEND '{SMTP}'", f"set EMAIL_BACKEND = {STORE}"
    assert output == (
        "System check identified some issues:\n\n"
        "WARNINGS:\n"
        f"?: (pochta.W001) {backend} "
        f"sends to 127.0.0.1:{port}, but nothing listens there: sending mail will fail.\n"
        "\tHINT: Start a catcher: `python manage.py pochta` (with 'pochta.django' in "
        f"INSTALLED_APPS) or `pochta serve --smtp 127.0.0.1:{port}`; or "
        f"{instead} to need no server.\n\n"
        "System check identified 1 issue (0 silenced).\n"
    )


def test_silent_when_the_catcher_runs(serve_process: ServeProcess) -> None:
    host, port = serve_process.smtp
    assert manage("check", env=site_env(EMAIL_HOST=host, EMAIL_PORT=str(port))) == NO_ISSUES


def test_silent_for_other_backends_and_other_machines() -> None:
    port = str(free_port())
    assert manage("check", env=site_env(EMAIL_BACKEND="file", EMAIL_PORT=port)) == NO_ISSUES
    # Another machine is never probed: 192.0.2.1 (TEST-NET-1) would hang, not refuse.
    remote = site_env(EMAIL_HOST="192.0.2.1", EMAIL_PORT=port)
    assert manage("check", env=remote) == NO_ISSUES


def test_fail_level_warning_makes_check_fail_while_the_catcher_is_down() -> None:
    done = subprocess.run(
        [sys.executable, str(SITE / "manage.py"), "check", "--fail-level", "WARNING"],
        env=site_env(EMAIL_PORT=str(free_port())),
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert "(pochta.W001)" in done.stderr


def test_with_mailers_every_smtp_mailer_is_checked() -> None:
    # The queue's worker delivers through the site's "smtp" mailer on Django 6.1.
    port = free_port()
    output = manage("check", env=site_env(EMAIL_BACKEND="queue", EMAIL_PORT=str(port)))
    if django.VERSION < (6, 1):
        assert output == NO_ISSUES  # EMAIL_BACKEND is the queue backend, not smtp
        return
    assert f"(pochta.W001) MAILERS['smtp'] ({SMTP}) sends to 127.0.0.1:{port}," in output
    assert output.endswith("System check identified 1 issue (0 silenced).\n")
