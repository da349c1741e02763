"""The send log: every backend writes one line per message on the ``pochta.mail`` logger."""

from __future__ import annotations

import io
import logging
import re
import smtplib
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pochta.mail import EmailMessage, configure, mailers
from pochta.mail.mailer import import_backend
from tests.mail.smtp_peer import SMTPServer


def message(to: str = "ann@example.com") -> EmailMessage:
    sent = EmailMessage("Logged", "Body", "app@example.com", [to], bcc=["audit@example.com"])
    sent.extra_headers["Message-ID"] = "<log-1@example.com>"
    return sent


def fields(record: logging.LogRecord) -> tuple[object, ...]:
    names = ("levelname", "outcome", "backend", "message_id", "mail_from", "rcpt_tos")
    return tuple(getattr(record, name) for name in names)


def send_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "pochta.mail"]


@pytest.mark.parametrize(
    ("backend", "kwargs", "outcome"),
    [
        ("console", {"stream": io.StringIO()}, "written"),
        ("filebased", {"file_path": "FOLDER"}, "written"),
        ("locmem", {}, "kept"),
        ("store", {"database": "STORE"}, "stored"),
        ("queue", {"path": "QUEUE"}, "queued"),
    ],
)
def test_each_backend_logs_each_message(
    backend: str,
    kwargs: dict[str, Any],
    outcome: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    places = {"STORE": tmp_path / "store.db", "QUEUE": tmp_path / "queue.db", "FOLDER": tmp_path}
    given: dict[str, Any] = {k: places.get(v, v) for k, v in kwargs.items()}
    connection = import_backend(f"pochta.mail.backends.{backend}.EmailBackend")(**given)
    with caplog.at_level(logging.INFO, logger="pochta.mail"):
        assert connection.send_messages([message()]) == 1
    [record] = send_log(caplog)
    recipients = ["ann@example.com", "audit@example.com"]
    assert fields(record) == (
        "INFO",
        outcome,
        backend,
        "<log-1@example.com>",
        "app@example.com",
        recipients,
    )
    assert record.duration >= 0  # type: ignore[attr-defined]


def test_the_smtp_backend_logs_sent_and_failed(
    smtp_server: SMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    options = {"host": smtp_server.host, "port": smtp_server.port}
    configure(MAILERS={"smtp": {"OPTIONS": options}})  # the log names the mailer's alias
    connection = mailers["smtp"]
    with caplog.at_level(logging.INFO, logger="pochta.mail"):
        connection.send_messages([message()])
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            connection.send_messages(
                [EmailMessage("x", "y", "app@example.com", ["nobody@example.com"])]
            )
        connection.send_messages([message("nobody@example.com")])
    sent, failed, partly = send_log(caplog)
    assert fields(sent)[:4] == ("INFO", "sent", "smtp", "<log-1@example.com>")
    assert fields(failed)[:3] == ("ERROR", "failed", "smtp")
    assert "550 5.1.1 No such user" in failed.getMessage()
    assert fields(partly)[:2] == ("WARNING", "partly sent")
    assert "<nobody@example.com> refused: 550 5.1.1 No such user" in partly.getMessage()
    assert sent.getMessage().startswith(
        "sent <log-1@example.com> from <app@example.com> to <ann@example.com>, "
        "<audit@example.com> via smtp in "
    )


def test_the_dummy_backend_logs_what_it_dropped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="pochta.mail"):
        import_backend("pochta.mail.backends.dummy.EmailBackend")().send_messages([message()])
    [record] = send_log(caplog)
    assert fields(record)[:3] == ("INFO", "dropped", "dummy")


def test_nothing_is_built_for_the_log_when_it_is_off(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="pochta.mail"):
        import_backend("pochta.mail.backends.locmem.EmailBackend")().send_messages([message()])
    assert send_log(caplog) == []


DOCS = Path(__file__).resolve().parents[2] / "docs" / "mail.md"

# Applies one of docs/mail.md's configurations (the Django one through Django's
# LOGGING), then queues a message for ann (sent), busy (a 451, then sent) and
# nobody (550) and lets the worker deliver it to the aiosmtpd server.
DOCS_RUN = textwrap.dedent("""
    import sys
    from pathlib import Path
    namespace = {"BASE_DIR": Path.cwd()}
    exec(sys.argv[1], namespace)
    if "LOGGING" in namespace:
        import django
        from django.conf import settings
        settings.configure(LOGGING=namespace["LOGGING"])
        django.setup()
    from pochta.mail import EmailMessage, configure
    from pochta.mail.backends.queue import EmailBackend
    from pochta.mail.queue import Worker, open_queue
    configure(MAILERS={"smtp": {"OPTIONS": {"host": "127.0.0.1", "port": int(sys.argv[2])}}})
    to = ["ann@example.com", "busy@example.com", "nobody@example.com"]
    message = EmailMessage("Logged", "Body", "app@example.com", to)
    assert EmailBackend(path="queue.db", delivery_backend="smtp").send_messages([message]) == 1
    with open_queue("queue.db") as queue:
        Worker(queue, retry_delay=0, poll=0.01).run(until_empty=True)
""")


def docs_configurations() -> list[str]:
    """The Python blocks of docs/mail.md's "The send log": dictConfig, then Django's LOGGING."""
    section = DOCS.read_text(encoding="utf-8").split("## The send log")[1].split("\n## ")[0]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


@pytest.mark.parametrize("which", [0, 1], ids=["dictConfig", "django-LOGGING"])
def test_the_docs_logging_configurations_write_a_send_log_file(
    which: int, tmp_path: Path, smtp_server: SMTPServer
) -> None:
    block = docs_configurations()[which]
    command = [sys.executable, "-c", DOCS_RUN, block, str(smtp_server.port)]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "", done.stderr  # no "--- Logging error ---"
    lines = (tmp_path / "send.log").read_text().splitlines()
    if which == 0:  # asctime (two words), level, outcome, Message-ID, from=, to=, via=
        words = [line.split() for line in lines]
        assert [(w[2], w[3], w[6], w[7]) for w in words] == [
            ("INFO", "queued", "to=['ann@example.com',", "'busy@example.com',"),
            ("INFO", "sent", "to=['ann@example.com']", "via=smtp"),
            ("WARNING", "retry", "to=['busy@example.com']", "via=smtp"),
            ("ERROR", "failed", "to=['nobody@example.com']", "via=smtp"),
            ("INFO", "sent", "to=['busy@example.com']", "via=smtp"),
        ]
        assert "451 4.2.1 Mailbox busy, try later; attempt 1 of 8, next in" in lines[2]
    else:  # the message alone, as sending.md shows it
        assert [line.split(" ", 1)[0] for line in lines] == [
            "queued",
            "sent",
            "retry",
            "failed",
            "sent",
        ]
        assert " to <nobody@example.com> via smtp (queue) in " in lines[3]
        assert lines[3].endswith(": 550 5.1.1 No such user; attempt 1 of 8")
