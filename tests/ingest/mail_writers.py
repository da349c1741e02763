"""Run ``pochta import`` in-process, write mail with real Django, read a store back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from pochta.cli import main
from pochta.store import open_store

# Django 6.1 names its file backend in MAILERS; 5.2 and 6.0 in EMAIL_BACKEND (6.1 warns).
DJANGO_SENDER = textwrap.dedent(
    """
    import sys
    import django
    from django.conf import settings
    FILE = "django.core.mail.backends.filebased.EmailBackend"
    if django.VERSION >= (6, 1):
        settings.configure(
            MAILERS={"default": {"BACKEND": FILE, "OPTIONS": {"file_path": sys.argv[1]}}},
            DEFAULT_CHARSET="utf-8",
        )
    else:
        settings.configure(
            EMAIL_BACKEND=FILE, EMAIL_FILE_PATH=sys.argv[1], DEFAULT_CHARSET="utf-8"
        )
    django.setup()
    from django.core import mail

    def backend():
        return mail.mailers.default if django.VERSION >= (6, 1) else mail.get_connection()

    prefix = sys.argv[2]
    with backend() as connection:
        for number in range(3):
            message = mail.EmailMessage(
                f"{prefix} Привет {number}",
                f"Здравствуйте! Письмо номер {number}.\\n" + "-" * 79 + "\\nпосле черты\\n",
                "Сайт <site@example.com>",
                ["ann@example.com"],
                cc=["cc@example.com"],
            )
            if number == 1:
                message.attach("отчёт.txt", "данные\\n", "text/plain")
            connection.send_messages([message])
    # Plain ASCII goes out 7bit: this body holds a raw line of 79 dashes.
    backend().send_messages([mail.EmailMessage(
        f"{prefix} second connection", "one more\\n" + "-" * 79 + "\\nafter the line\\n",
        "site@example.com", ["bob@example.com"])])
    """
)


def write_with_django(folder: Path, prefix: str = "dj") -> None:
    """Send 3 messages over one connection and 1 over another with Django's file backend."""
    subprocess.run(
        [sys.executable, "-c", DJANGO_SENDER, str(folder), prefix],
        check=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )


@dataclass(frozen=True)
class Imported:
    """What ``pochta import`` printed and returned."""

    code: int
    lines: list[str]


def run_import(*args: str | Path, database: Path) -> Imported:
    """Run ``pochta import ARGS --database DATABASE`` in-process."""
    result = CliRunner().invoke(main, ["import", *map(str, args), "--database", str(database)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Imported(result.exit_code, result.output.splitlines())


def stored_subjects(database: Path) -> list[str]:
    """Return the subjects in the store, oldest first."""
    with open_store(database) as store:
        return [s.subject for s in reversed(store.list_messages(limit=10_000).messages)]
