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

DJANGO_SENDER = textwrap.dedent(
    """
    import sys
    from django.conf import settings
    settings.configure(
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=sys.argv[1],
        DEFAULT_CHARSET="utf-8",
    )
    import django
    django.setup()
    from django.core.mail import EmailMessage, get_connection

    prefix = sys.argv[2]
    with get_connection() as connection:
        for number in range(3):
            message = EmailMessage(
                f"{prefix} Привет {number}",
                f"Здравствуйте! Письмо номер {number}.\\n" + "-" * 79 + "\\nпосле черты\\n",
                "Сайт <site@example.com>",
                ["ann@example.com"],
                cc=["cc@example.com"],
                connection=connection,
            )
            if number == 1:
                message.attach("отчёт.txt", "данные\\n", "text/plain")
            message.send()
    # Plain ASCII goes out 7bit: this body holds a raw line of 79 dashes.
    EmailMessage(f"{prefix} second connection", "one more\\n" + "-" * 79 + "\\nafter the line\\n",
                 "site@example.com", ["bob@example.com"]).send()
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
