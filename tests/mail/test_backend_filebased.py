"""The file backend: one .log file per backend session in EMAIL_FILE_PATH."""

from __future__ import annotations

import email
import email.policy
import os
import re
from pathlib import Path

import pytest

from pochta.exceptions import BadHeaderError, ConfigurationError
from pochta.mail import EmailMessage, configure, get_connection, send_mail
from pochta.mail.backends import filebased

SEPARATOR = b"-" * 79
FILE_NAME = re.compile(r"^\d{8}-\d{6}-\d+\.log$")


def test_missing_folder_is_created_and_file_named_like_django(tmp_path: Path) -> None:
    folder = tmp_path / "sent_emails" / "nested"
    configure(EMAIL_BACKEND="pochta.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=folder)

    assert send_mail("Another Beatles member", "Текст", "a@x.com", ["b@x.com"]) == 1

    [log] = folder.iterdir()
    assert FILE_NAME.match(log.name)
    data = log.read_bytes()
    head, body = data.split(b"\n\n", 1)
    assert head.splitlines()[:6] == [
        b'Content-Type: text/plain; charset="utf-8"',
        b"MIME-Version: 1.0",
        b"Content-Transfer-Encoding: 8bit",
        b"Subject: Another Beatles member",
        b"From: a@x.com",
        b"To: b@x.com",
    ]
    assert body == "Текст\n\n".encode() + SEPARATOR + b"\n"


def test_one_file_per_session_messages_separated_by_dashes(tmp_path: Path) -> None:
    with get_connection(
        "pochta.mail.backends.filebased.EmailBackend", file_path=tmp_path
    ) as connection:
        connection.send_messages([EmailMessage("one", "1", "a@x.com", ["b@x.com"])])
        connection.send_messages([EmailMessage("two", "2", "a@x.com", ["b@x.com"])])
    other = filebased.EmailBackend(file_path=str(tmp_path))
    other.send_messages([EmailMessage("three", "3", "a@x.com", ["b@x.com"])])

    logs = sorted(tmp_path.iterdir(), key=lambda p: p.read_bytes().count(SEPARATOR))
    assert [log.read_bytes().count(b"\n" + SEPARATOR + b"\n") for log in logs] == [1, 2]
    chunks = logs[1].read_bytes().split(SEPARATOR + b"\n")
    parsed = [email.message_from_bytes(c, policy=email.policy.default) for c in chunks[:2]]
    assert [(str(m["Subject"]), m.get_content()) for m in parsed] == [
        ("one", "1\n\n"),
        ("two", "2\n\n"),
    ]
    assert chunks[2] == b""


def test_long_link_is_whole_in_the_file(tmp_path: Path) -> None:
    link = "https://task.local/reset/" + "Zx9-" * 40
    connection = filebased.EmailBackend(file_path=tmp_path)

    send_mail("Reset", f"Ссылка: {link}", "a@x.com", ["b@x.com"], connection=connection)

    [log] = tmp_path.iterdir()
    assert f"Ссылка: {link}".encode() in log.read_bytes().splitlines()


def test_file_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "sent_emails"
    not_a_folder.write_text("I am a file")

    with pytest.raises(ConfigurationError, match=r"sent_emails' exists but is not a folder"):
        filebased.EmailBackend(file_path=not_a_folder)
    with pytest.raises(ConfigurationError, match="could not create the folder"):
        filebased.EmailBackend(file_path=not_a_folder / "inside")


def test_missing_setting_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="EMAIL_FILE_PATH is not set"):
        filebased.EmailBackend()


def test_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    # chmod does not stop root, but a process folder under /proc is read-only for everyone.
    read_only = Path("/proc/1") if os.geteuid() == 0 else tmp_path
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ConfigurationError, match="is not writable"):
            filebased.EmailBackend(file_path=read_only)
    finally:
        tmp_path.chmod(0o700)


def test_bad_header_leaves_no_file(tmp_path: Path) -> None:
    connection = filebased.EmailBackend(file_path=tmp_path)

    with pytest.raises(BadHeaderError):
        connection.send_messages([EmailMessage("s", "b", "a@x.com", ["b@x.com\nBcc: c@x.com"])])
    assert list(tmp_path.iterdir()) == []


def test_empty_batch_returns_zero_and_writes_nothing(tmp_path: Path) -> None:
    assert filebased.EmailBackend(file_path=tmp_path).send_messages([]) == 0
    assert list(tmp_path.iterdir()) == []
