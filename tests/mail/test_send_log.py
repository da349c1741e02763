"""The send log: every backend writes one line per message on the ``pochta.mail`` logger."""

from __future__ import annotations

import io
import logging
import smtplib
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
    given: dict[str, Any] = {
        k: tmp_path / f"{v}.db" if v in ("STORE", "QUEUE") else v for k, v in kwargs.items()
    }
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
