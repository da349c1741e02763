"""The queue backend: what send_messages writes, and that it is on disk when it returns.

The backend is made directly, delivering through the ``smtp`` MAILERS alias
(conftest.py); one test each sets it up through Django 6.1's ``MAILERS`` and
through Django 6.0's ``EMAIL_*`` settings (which warns, as Django 6.1 does).
"""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pochta.exceptions import BadHeaderError, ConfigurationError
from pochta.mail import EmailMessage, configure, send_mail
from pochta.mail.deprecation import RemovedInDjango2028Warning
from pochta.mail.queue import MailQueue, State, open_queue
from pochta.mail.submission import build_submission
from tests.mail.queue.conftest import queue_backend


def test_send_mail_queues_the_exact_bytes_and_envelope(queue_path: Path) -> None:
    message = EmailMessage("Hi", "Body", "a@example.com", ["b@example.com"], bcc=["c@example.com"])
    # Fixed, so building the message again below gives the same bytes in any second.
    message.extra_headers["Message-ID"] = "<fixed@example.com>"
    message.extra_headers["Date"] = "Tue, 01 Sep 2026 10:00:00 +0000"
    assert queue_backend(queue_path).send_messages([message]) == 1
    with open_queue(queue_path) as queue:
        [queued] = queue.list()
        content = queue.content(queued.id)
    assert (queued.message_id, queued.mail_from, queued.rcpt_tos, queued.state) == (
        "<fixed@example.com>",
        "a@example.com",
        ("b@example.com", "c@example.com"),
        State.PENDING,
    )
    assert content == build_submission(message).content
    assert (queued.backend, queued.attempts, queued.max_attempts) == ("smtp", 0, 8)


def test_mailers_choose_the_file_the_delivering_mailer_and_attempts(tmp_path: Path) -> None:
    options = {"path": str(tmp_path / "spool" / "q.db"), "delivery_backend": "smtp"}
    configure(
        MAILERS={
            "default": {
                "BACKEND": "pochta.mail.backends.queue.EmailBackend",
                "OPTIONS": {**options, "max_attempts": 3},
            },
            "smtp": {"OPTIONS": {"host": "smtp.example.com"}},
        }
    )
    assert send_mail("Hi", "Body", "a@example.com", ["b@example.com"]) == 1
    with open_queue(tmp_path / "spool" / "q.db") as queue:
        [queued] = queue.list()
    assert (queued.backend, queued.max_attempts) == ("smtp", 3)


def test_a_queue_mailer_without_options_uses_the_queue_settings_as_the_worker_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # where a hard-wired .pochta/queue.db would go
    queue = {"BACKEND": "pochta.mail.backends.queue.EmailBackend"}
    configure(
        MAILERS={"default": {**queue, "OPTIONS": {"delivery_backend": "smtp"}}, "smtp": {}},
        EMAIL_QUEUE_PATH=str(tmp_path / "spool" / "q.db"),
        EMAIL_QUEUE_MAX_ATTEMPTS=3,
    )
    assert send_mail("Hi", "Body", "a@example.com", ["b@example.com"]) == 1
    with open_queue() as opened:  # what pochta worker opens without --queue
        [queued] = opened.list()
    assert (opened.path, queued.backend, queued.max_attempts) == (
        tmp_path / "spool" / "q.db",
        "smtp",
        3,
    )
    assert not (tmp_path / ".pochta").exists()


def test_django_60_settings_choose_the_same_and_warn(tmp_path: Path) -> None:
    with pytest.warns(RemovedInDjango2028Warning, match="The EMAIL_BACKEND setting is deprecated"):
        configure(
            EMAIL_BACKEND="pochta.mail.backends.queue.EmailBackend",
            EMAIL_QUEUE_PATH=str(tmp_path / "spool" / "q.db"),
            EMAIL_QUEUE_BACKEND="pochta.mail.backends.console.EmailBackend",
            EMAIL_QUEUE_MAX_ATTEMPTS=3,
        )
    assert send_mail("Hi", "Body", "a@example.com", ["b@example.com"]) == 1
    with open_queue() as queue:
        [queued] = queue.list()
    assert (queued.backend, queued.max_attempts) == (
        "pochta.mail.backends.console.EmailBackend",
        3,
    )
    assert queue.path == tmp_path / "spool" / "q.db"


def test_queued_message_survives_a_kill_right_after_send_returns(queue_path: Path) -> None:
    script = textwrap.dedent(f"""
        import os, signal
        from pochta.mail import send_mail
        from pochta.mail.backends.queue import EmailBackend
        backend = EmailBackend(path={str(queue_path)!r})
        send_mail("Durable", "Body", "a@example.com", ["b@example.com"], connection=backend)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    with open_queue(queue_path) as queue:
        assert [m.state for m in queue.list()] == [State.PENDING]


def test_a_bad_header_raises_and_queues_nothing_of_the_batch(queue: MailQueue) -> None:
    good = EmailMessage("Fine", "Body", "a@example.com", ["b@example.com"])
    bad = EmailMessage("Evil\nBcc: x@example.com", "Body", "a@example.com", ["b@example.com"])
    with pytest.raises(BadHeaderError):
        queue_backend(queue.path).send_messages([good, bad])
    assert queue.counts().pending == 0


def test_fail_silently_returns_zero_for_an_unwritable_queue(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    backend = queue_backend(tmp_path / "x.db", fail_silently=True)
    backend.path = folder  # type: ignore[attr-defined]
    message = EmailMessage("Hi", "Body", "a@example.com", ["b@example.com"])
    assert backend.send_messages([message]) == 0


def test_the_queue_file_must_be_a_file_and_a_queue(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    with pytest.raises(ConfigurationError, match="is a folder; give a file"):
        open_queue(tmp_path / "folder")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    with pytest.raises(ConfigurationError, match="is not a pochta queue"):
        open_queue(garbage)


def test_the_queue_cannot_deliver_through_itself(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="names the queue backend itself"):
        queue_backend(
            tmp_path / "q.db", delivery_backend="pochta.mail.backends.queue.EmailBackend"
        )


def test_max_attempts_must_be_a_positive_number(tmp_path: Path) -> None:
    configure(EMAIL_QUEUE_MAX_ATTEMPTS="eight")
    with pytest.raises(ConfigurationError, match="EMAIL_QUEUE_MAX_ATTEMPTS 'eight'"):
        queue_backend(tmp_path / "q.db")


def test_empty_batch_and_messages_without_recipients_queue_nothing(queue: MailQueue) -> None:
    backend = queue_backend(queue.path)
    assert backend.send_messages([]) == 0
    assert backend.send_messages([EmailMessage("Hi", "Body", "a@example.com", [])]) == 0
    assert queue.counts().pending == 0


VERSION_1 = """
CREATE TABLE message (
    id INTEGER PRIMARY KEY, message_id TEXT NOT NULL, mail_from TEXT NOT NULL,
    rcpt_tos TEXT NOT NULL, content BLOB NOT NULL, backend TEXT NOT NULL, state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, max_attempts INTEGER NOT NULL, queued_at REAL NOT NULL,
    next_try REAL, lease_owner TEXT, lease_until REAL, sent_at REAL,
    last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX message_due ON message (state, next_try);
INSERT INTO message (message_id, mail_from, rcpt_tos, content, backend, state, attempts,
    max_attempts, queued_at, next_try)
VALUES ('<1@x>', 'a@x', '["b@x", "c@x"]', X'00', 'smtp', 'pending', 1, 8, 0, 0),
       ('<2@x>', 'a@x', '["d@x"]', X'00', 'smtp', 'sent', 2, 8, 0, NULL);
PRAGMA user_version = 1;
"""


def test_a_version_1_queue_file_is_upgraded_and_keeps_its_messages(queue_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(queue_path)) as old:
        old.execute("PRAGMA journal_mode=WAL")
        old.executescript(VERSION_1)
    with open_queue(queue_path) as queue:
        pending, sent = queue.list([State.PENDING, State.SENT])
        claim = queue.claim("host:1:w", lease=60)
    assert [(r.address, r.state) for r in pending.recipients] == [
        ("b@x", State.PENDING),
        ("c@x", State.PENDING),
    ]
    assert [(r.address, r.state, r.attempt) for r in sent.recipients] == [("d@x", State.SENT, 2)]
    assert claim is not None and claim.submission.rcpt_tos == ["b@x", "c@x"]
    with contextlib.closing(sqlite3.connect(queue_path)) as upgraded:
        assert upgraded.execute("PRAGMA user_version").fetchone() == (2,)


def test_a_queue_file_of_a_newer_version_is_refused(queue_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(queue_path)) as newer:
        newer.execute("PRAGMA user_version = 9")
    with pytest.raises(ConfigurationError, match="its format is version 9, not 2"):
        open_queue(queue_path)
