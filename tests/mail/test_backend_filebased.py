"""The file backend: one .log file per backend session in the ``file_path`` folder."""

from __future__ import annotations

import email
import email.policy
import os
import re
from pathlib import Path

import pytest

from pochta.exceptions import BadHeaderError, ConfigurationError, InvalidMailer
from pochta.mail import EmailMessage, configure, mailers, send_mail
from pochta.mail.backends import filebased

SEPARATOR = b"-" * 79
FILE_NAME = re.compile(r"^\d{8}-\d{6}-\d+\.log$")
FILEBASED = "pochta.mail.backends.filebased.EmailBackend"
LEGACY = pytest.mark.filterwarnings("ignore::pochta.mail.deprecation.RemovedInDjango2028Warning")


def files_mailer(folder: object) -> dict[str, object]:
    return {"BACKEND": FILEBASED, "OPTIONS": {"file_path": folder}}


def test_missing_folder_is_created_and_file_named_like_django(tmp_path: Path) -> None:
    folder = tmp_path / "sent_emails" / "nested"
    configure(MAILERS={"default": files_mailer(folder)})

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
    configure(MAILERS={"files": files_mailer(tmp_path)})
    with mailers["files"] as connection:
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
    configure(MAILERS={"default": files_mailer(tmp_path)})

    send_mail("Reset", f"Ссылка: {link}", "a@x.com", ["b@x.com"])

    [log] = tmp_path.iterdir()
    assert f"Ссылка: {link}".encode() in log.read_bytes().splitlines()


def test_file_path_that_is_a_file_is_a_clear_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "sent_emails"
    not_a_folder.write_text("I am a file")

    with pytest.raises(ConfigurationError) as error:
        filebased.EmailBackend(file_path=not_a_folder)
    assert str(error.value) == (
        f"Path for saving email messages exists, but is not a directory: {not_a_folder}; "
        "give a folder"
    )
    with pytest.raises(ConfigurationError, match=r"^Could not create directory for saving"):
        filebased.EmailBackend(file_path=not_a_folder / "inside")


@LEGACY
def test_missing_setting_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match=r"^The EMAIL_FILE_PATH setting must be set"):
        filebased.EmailBackend()


@LEGACY
def test_email_file_path_is_the_folder_without_mailers(tmp_path: Path) -> None:
    configure(EMAIL_BACKEND=FILEBASED, EMAIL_FILE_PATH=tmp_path / "sent_emails")

    assert send_mail("s", "b", "a@x.com", ["b@x.com"]) == 1
    assert len(list((tmp_path / "sent_emails").iterdir())) == 1


def unwritable(tmp_path: Path) -> Path:
    # chmod does not stop root, but a process folder under /proc is read-only for everyone.
    return Path("/proc/1") if os.geteuid() == 0 else tmp_path


def test_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    read_only = unwritable(tmp_path)
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ConfigurationError, match=r"^Could not write to directory: "):
            filebased.EmailBackend(file_path=read_only)
    finally:
        tmp_path.chmod(0o700)


def test_mailer_errors_name_the_mailer_and_the_option(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("")
    configure(
        MAILERS={
            "nopath": {"BACKEND": FILEBASED},
            "isfile": files_mailer(a_file),
            "inside": files_mailer(a_file / "inside"),
            "readonly": files_mailer(unwritable(tmp_path)),
        }
    )

    messages = {}
    for alias in ("nopath", "isfile", "inside", "readonly"):
        with pytest.raises(InvalidMailer) as error:
            mailers[alias]
        messages[alias] = str(error.value)
    assert messages["nopath"] == "MAILERS['nopath']: OPTIONS must define 'file_path'."
    assert messages["isfile"] == f"MAILERS['isfile']: 'file_path' is not a directory: {a_file}"
    assert messages["inside"].startswith(
        f"MAILERS['inside']: Could not create 'file_path': {a_file}"
    )
    assert messages["readonly"].startswith("MAILERS['readonly']: 'file_path' is not writable: ")


@pytest.mark.parametrize("alias", [None, "files"])
def test_file_path_that_is_not_a_path_is_pythons_type_error(alias: str | None) -> None:
    expected = r"^expected str, bytes or os.PathLike object, not object$"
    with pytest.raises(TypeError, match=expected):
        filebased.EmailBackend(alias=alias, file_path=object())  # type: ignore[arg-type]


def test_bad_header_leaves_no_file(tmp_path: Path) -> None:
    connection = filebased.EmailBackend(file_path=tmp_path)

    with pytest.raises(BadHeaderError):
        connection.send_messages([EmailMessage("s", "b", "a@x.com", ["b@x.com\nBcc: c@x.com"])])
    assert list(tmp_path.iterdir()) == []


def test_empty_batch_returns_zero_and_writes_nothing(tmp_path: Path) -> None:
    assert filebased.EmailBackend(file_path=tmp_path).send_messages([]) == 0
    assert list(tmp_path.iterdir()) == []
