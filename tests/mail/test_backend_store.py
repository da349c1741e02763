"""The store email backend: messages land in a real store file, live in a running server."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from pochta.config import DEFAULT_DATABASE
from pochta.exceptions import BadHeaderError, ConfigurationError, StoreFormatError
from pochta.mail import EmailMessage, EmailMultiAlternatives, configure, mailers, send_mail
from pochta.mail.backends import store as store_backend
from pochta.mail.submission import build_submission
from pochta.store import Envelope, open_store

BACKEND = "pochta.mail.backends.store.EmailBackend"


def backend(**options: Any) -> store_backend.EmailBackend:
    """The store backend as ``mailers`` makes it, with these OPTIONS."""
    configure(MAILERS={"store": {"BACKEND": BACKEND, "OPTIONS": options}})
    connection = mailers["store"]
    assert isinstance(connection, store_backend.EmailBackend)
    return connection


@pytest.fixture(autouse=True)
def no_database_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POCHTA_DATABASE", raising=False)


def stored(path: Path) -> list[tuple[bytes, Envelope]]:
    with open_store(path) as store:
        ids = [s.id for s in reversed(store.list_messages(limit=1000).messages)]
        return [(store.raw(id), store.summary(id).envelope) for id in ids]


def test_writes_the_smtp_bytes_and_envelope_with_bcc(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    headers = {"Message-ID": "<fixed@example.com>", "Date": "Sun, 22 Nov 2026 00:00:00 -0000"}
    message = EmailMessage(
        "Привет", "Тело письма\n", "app@example.com", ["ann@example.com"],
        cc=["cc@example.com"], bcc=["hidden@example.com"], headers=headers,
    )  # fmt: skip

    sent = backend(database=database).send_messages([message])

    assert sent == 1
    [(raw, envelope)] = stored(database)
    assert raw == build_submission(message).content
    assert envelope == Envelope(
        "app@example.com",
        ("ann@example.com", "cc@example.com", "hidden@example.com"),
        source="backend",
    )


def test_multipart_mail_is_stored_with_crlf_and_reads_back(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    message = EmailMultiAlternatives("Привет", "Тело", "app@example.com", ["ann@example.com"])
    message.attach_alternative("<p>Тело</p>", "text/html")
    message.attach("notes.txt", "a note\n", "text/plain")
    backend(database=database).send_messages([message])
    with open_store(database) as store:
        [summary] = store.list_messages().messages
        parsed = store.parsed(summary.id)
        raw = store.raw(summary.id)
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert (parsed.subject, parsed.text.strip(), parsed.html.strip()) == (
        "Привет",
        "Тело",
        "<p>Тело</p>",
    )
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("notes.txt", "text/plain")
    ]


def test_database_comes_from_configure_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POCHTA_DATABASE", str(tmp_path / "env.db"))
    assert backend().database == tmp_path / "env.db"
    configure(POCHTA_DATABASE=tmp_path / "configured.db")
    assert backend().database == tmp_path / "configured.db"
    assert backend(file_path=tmp_path / "kw.db").database == tmp_path / "kw.db"
    with pytest.raises(ConfigurationError, match="not both"):
        backend(file_path="a.db", database="b.db")


def test_default_database_is_the_one_pochta_serve_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert store_backend.DEFAULT_DATABASE == DEFAULT_DATABASE
    configure(MAILERS={"default": {"BACKEND": BACKEND}})
    assert send_mail("Hi", "Body", "a@example.com", ["b@example.com"]) == 1
    assert [envelope.rcpt_tos for _, envelope in stored(tmp_path / ".pochta" / "mail.db")] == [
        ("b@example.com",)
    ]


def test_django_setting_names_the_database(tmp_path: Path) -> None:
    script = f"""
import django
from django.conf import settings
settings.configure(EMAIL_BACKEND={BACKEND!r}, POCHTA_DATABASE={str(tmp_path / "dj.db")!r})
django.setup()
from django.core.mail import send_mail
print(send_mail("Από Django", "σώμα", "site@example.com", ["user@example.com"]))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert (done.returncode, done.stdout.strip()) == (0, "1"), done.stderr
    [(raw, envelope)] = stored(tmp_path / "dj.db")
    assert envelope.mail_from == "site@example.com"
    assert b"Subject: =?utf-8?" in raw


def test_contract_empty_no_recipients_and_one_store_per_with_block(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    unopened = backend(database=database)
    assert unopened.send_messages([]) == 0
    assert unopened.send_messages([EmailMessage("No one", "x", "a@example.com", [])]) == 0
    assert not database.exists()
    with backend(database=database) as connection:
        opened = connection.store
        assert opened is not None
        for number in range(3):
            message = EmailMessage(f"n{number}", "x", "a@example.com", ["b@example.com"])
            assert connection.send_messages([message]) == 1
        assert connection.store is opened
    assert connection.store is None
    assert len(stored(database)) == 3


def test_bad_header_stores_nothing_of_the_batch(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    good = EmailMessage("fine", "x", "a@example.com", ["b@example.com"])
    bad = EmailMessage("evil\nBcc: x@example.com", "x", "a@example.com", ["b@example.com"])
    with pytest.raises(BadHeaderError):
        backend(database=database).send_messages([good, bad])
    assert backend(database=database, fail_silently=True).send_messages([good, bad]) == 0
    assert stored(database) == []


def test_a_file_that_is_not_a_store_fails_loudly_or_silently(tmp_path: Path) -> None:
    database = tmp_path / "notes.txt"
    database.write_text("my notes, not a database\n")
    message = EmailMessage("s", "x", "a@example.com", ["b@example.com"])
    with pytest.raises(StoreFormatError, match="not a pochta store"):
        backend(database=database).send_messages([message])
    assert backend(database=database, fail_silently=True).send_messages([message]) == 0
    assert database.read_text() == "my notes, not a database\n"


def test_a_running_server_shows_the_messages_live(tmp_path: Path, launch_serve) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "mail.db"
    served = launch_serve(database=database)
    answers: list[httpx.Response] = []
    # A wait request in flight hears only of messages the store announces: this
    # checks that the server notices rows another process writes.
    waiting = threading.Thread(
        target=lambda: answers.append(
            httpx.get(
                served.url + "/api/v1/wait",
                params={"query": 'subject:"from the backend 2"', "timeout": "30"},
                timeout=40,
            )
        )
    )
    waiting.start()
    time.sleep(0.5)  # let the wait request reach the server first (not an assertion)
    mailer = {"BACKEND": BACKEND, "OPTIONS": {"database": str(database)}}
    script = f"""
from pochta.mail import EmailMessage, configure, mailers
configure(MAILERS={{"store": {mailer!r}}})
with mailers["store"] as connection:
    for n in range(3):
        connection.send_messages([EmailMessage(f"from the backend {{n}}", "body",
                                               "app@example.com", ["ann@example.com"])])
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    waiting.join()
    assert (answers[0].status_code, answers[0].json()["Subject"]) == (200, "from the backend 2")
    listed = served.get("/api/v1/messages").json()["messages"]
    assert sorted(m["Subject"] for m in listed) == [f"from the backend {n}" for n in range(3)]
