"""pochta's backends inside a real (configured) Django, in a subprocess: EMAIL_BACKEND and MAILERS.

django.conf.settings can be configured once per process, so each case runs a small
script with the venv's Python; the script prints JSON for the test to compare.
"""

from __future__ import annotations

import email
import email.policy
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import django
from pochta.mail.queue import open_queue
from pochta.store import open_store
from tests.mail.smtp_peer import SMTPServer

SEPARATOR = b"-" * 79


def run_django(settings: dict[str, Any], code: str) -> str:
    script = (
        "import django.conf, django\n"
        f"django.conf.settings.configure(**{settings!r})\n"
        "django.setup()\n"
        "from django.core import mail\n" + textwrap.dedent(code)
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_django_messages_through_pochta_file_backend(tmp_path: Path) -> None:
    folder = tmp_path / "sent_emails"
    settings = {
        "EMAIL_BACKEND": "pochta.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(folder),
    }
    out = run_django(
        settings,
        """
        message = mail.EmailMultiAlternatives(
            "Привет", "Текст", "site@example.com", ["user@example.com"], bcc=["b@example.com"]
        )
        message.attach_alternative("<p>Текст</p>", "text/html")
        message.attach("notes.txt", "заметки", "text/plain")
        print(message.send())
        """,
    )

    assert out == "1\n"
    [log] = folder.iterdir()
    chunk = log.read_bytes().split(SEPARATOR + b"\n")[0]
    parsed = email.message_from_bytes(chunk, policy=email.policy.default)
    assert (str(parsed["Subject"]), str(parsed["To"]), parsed["Bcc"]) == (
        "Привет",
        "user@example.com",
        None,
    )
    assert [p.get_content_type() for p in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/plain",
    ]


def test_django_send_mail_through_pochta_smtp_backend(smtp_server: SMTPServer) -> None:
    settings = {
        "EMAIL_BACKEND": "pochta.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": smtp_server.host,
        "EMAIL_PORT": smtp_server.port,
        "EMAIL_TIMEOUT": 5,
    }
    out = run_django(
        settings,
        """
        print(mail.send_mail("Django subject", "Django body", "a@example.com",
                             ["b@example.com", "c@example.com"]))
        print(mail.send_mass_mail([("one", "1", None, ["d@example.com"]),
                                   ("two", "2", None, ["e@example.com"])]))
        """,
    )

    assert out == "1\n2\n"
    assert [(e.mail_from, e.rcpt_tos) for e in smtp_server.envelopes] == [
        ("a@example.com", ["b@example.com", "c@example.com"]),
        ("webmaster@localhost", ["d@example.com"]),
        ("webmaster@localhost", ["e@example.com"]),
    ]
    parsed = email.message_from_bytes(
        smtp_server.envelopes[0].original_content, policy=email.policy.default
    )
    assert (str(parsed["Subject"]), parsed.get_content().strip()) == (
        "Django subject",
        "Django body",
    )


def test_django_messages_land_in_pochta_outbox_and_console() -> None:
    settings = {"EMAIL_BACKEND": "pochta.mail.backends.locmem.EmailBackend"}
    out = run_django(
        settings,
        """
        import io, json
        import pochta.mail
        from pochta.mail.backends.console import EmailBackend as Console
        mail.mail_admins("ignored: no ADMINS", "b")
        sent = mail.send_mail("To outbox", "b", "a@example.com", ["b@example.com"])
        stream = io.StringIO()
        printed = Console(stream=stream).send_messages(pochta.mail.outbox)
        print(json.dumps({
            "sent": sent,
            "types": [type(m).__module__ + "." + type(m).__name__ for m in pochta.mail.outbox],
            "subjects": [m.subject for m in pochta.mail.outbox],
            "printed": printed,
            "console_has_subject": "Subject: To outbox" in stream.getvalue(),
        }))
        """,
    )

    assert json.loads(out) == {
        "sent": 1,
        "types": ["django.core.mail.message.EmailMultiAlternatives"],
        "subjects": ["To outbox"],
        "printed": 1,
        "console_has_subject": True,
    }


@pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS is Django 6.1's")
def test_every_pochta_backend_is_a_mailers_backend_in_django_61(
    tmp_path: Path, smtp_server: SMTPServer
) -> None:
    backends = "pochta.mail.backends"
    mailers = {
        "smtp": {
            "BACKEND": f"{backends}.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.host, "port": smtp_server.port, "timeout": 5},
        },
        "console": {"BACKEND": f"{backends}.console.EmailBackend"},
        "file": {
            "BACKEND": f"{backends}.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(tmp_path / "sent")},
        },
        "locmem": {"BACKEND": f"{backends}.locmem.EmailBackend"},
        "dummy": {"BACKEND": f"{backends}.dummy.EmailBackend"},
        "store": {
            "BACKEND": f"{backends}.store.EmailBackend",
            "OPTIONS": {"database": str(tmp_path / "mail.db")},
        },
        "queue": {
            "BACKEND": f"{backends}.queue.EmailBackend",
            "OPTIONS": {"path": str(tmp_path / "queue.db"), "delivery_backend": "smtp"},
        },
    }
    out = run_django(
        {"MAILERS": mailers, "DEFAULT_FROM_EMAIL": "site@example.com"},
        """
        import contextlib, io, json
        import pochta.mail
        printed = io.StringIO()
        sent = {}
        with contextlib.redirect_stdout(printed):
            for alias in mail.mailers:
                sent[alias] = mail.send_mail(f"via {alias}", "Body", None, ["to@example.com"],
                                             using=alias)
        print(json.dumps({
            "sent": sent,
            "console": "Subject: via console" in printed.getvalue(),
            "outbox": [(type(m).__module__, m.subject, m.sent_using) for m in pochta.mail.outbox],
        }))
        """,
    )

    assert json.loads(out) == {
        "sent": {alias: 1 for alias in mailers},
        "console": True,
        "outbox": [["django.core.mail.message", "via locmem", "locmem"]],
    }
    assert [(e.mail_from, e.rcpt_tos) for e in smtp_server.envelopes] == [
        ("site@example.com", ["to@example.com"])
    ]
    [log] = (tmp_path / "sent").iterdir()
    assert b"Subject: via file" in log.read_bytes()
    with open_store(tmp_path / "mail.db") as store:
        assert [s.subject for s in store.list_messages().messages] == ["via store"]
    with open_queue(tmp_path / "queue.db") as queue:
        assert [(m.rcpt_tos, m.backend) for m in queue.list()] == [(("to@example.com",), "smtp")]


@pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS is Django 6.1's")
def test_django_61_reports_pochta_backend_errors_as_invalid_mailer(tmp_path: Path) -> None:
    mailers = {
        "nohost": {"BACKEND": "pochta.mail.backends.smtp.EmailBackend"},
        "typo": {
            "BACKEND": "pochta.mail.backends.store.EmailBackend",
            "OPTIONS": {"databse": "x"},
        },
    }
    out = run_django(
        {"MAILERS": mailers},
        """
        import json
        from django.core.exceptions import ImproperlyConfigured
        found = {}
        for alias in mail.mailers:
            try:
                mail.mailers[alias]
            except ImproperlyConfigured as error:
                found[alias] = str(error)
        print(json.dumps(found))
        """,
    )

    assert json.loads(out) == {
        "nohost": "MAILERS['nohost']: OPTIONS must define 'host'.",
        "typo": "MAILERS['typo']: Unknown options 'databse'. pochta.mail.backends.store."
        "EmailBackend takes 'fail_silently', 'database', 'file_path'.",
    }
