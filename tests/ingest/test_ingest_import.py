"""``pochta import``: every format from real files, the summary, skips and exit codes."""

from __future__ import annotations

import mailbox
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from click.testing import CliRunner

from pochta.cli import main
from pochta.mail import EmailMessage
from pochta.mail.backends import filebased
from pochta.store import Envelope, open_store
from tests.ingest.mail_writers import run_import, stored_subjects, write_with_django

DATA = Path(__file__).resolve().parent.parent / "data"


def message(subject: str, body: str = "body\n") -> bytes:
    return f"From: a@example.com\nTo: b@example.com\nSubject: {subject}\n\n{body}".encode()


def test_a_django_sent_emails_folder(tmp_path: Path) -> None:
    folder = tmp_path / "sent_emails"
    write_with_django(folder)
    assert len(list(folder.glob("*.log"))) == 2

    done = run_import(folder, database=tmp_path / "mail.db")

    assert done.code == 0, done.lines
    assert done.lines == [
        f"imported 4 messages into {tmp_path / 'mail.db'} (4 from file-backend log)"
    ]
    assert sorted(stored_subjects(tmp_path / "mail.db")) == [
        "dj second connection", "dj Привет 0", "dj Привет 1", "dj Привет 2",
    ]  # fmt: skip
    with open_store(tmp_path / "mail.db") as store:
        by_subject = {s.subject: s for s in store.list_messages().messages}
        first = by_subject["dj Привет 1"]
        parsed = store.parsed(first.id)
        last = store.parsed(by_subject["dj second connection"].id)
    assert last.text == "one more\n" + "-" * 79 + "\nafter the line\n"
    assert "Письмо номер 1." in parsed.text
    assert "-" * 79 + "\nпосле черты" in parsed.text.replace("\r\n", "\n")
    assert [a.filename for a in parsed.attachments] == ["отчёт.txt"]
    assert first.envelope == Envelope(
        "site@example.com", ("ann@example.com", "cc@example.com"), source="import"
    )


def test_pochta_file_backend_logs_come_back_byte_for_byte(tmp_path: Path) -> None:
    folder = tmp_path / "sent"
    messages = [
        EmailMessage(f"p{n}", f"Body {n}\n", "a@example.com", ["b@example.com"]) for n in range(3)
    ]
    with filebased.EmailBackend(file_path=folder) as c:
        c.send_messages(messages)
    [log] = folder.iterdir()
    chunks = log.read_bytes().split(b"\n" + b"-" * 79 + b"\n")

    done = run_import(log, database=tmp_path / "mail.db")

    assert done.code == 0 and done.lines[0].endswith("(3 from file-backend log)")
    with open_store(tmp_path / "mail.db") as store:
        raws = [store.raw(s.id) for s in reversed(store.list_messages().messages)]
    assert raws == chunks[:3] and chunks[3] == b""


def test_eml_files_in_nested_folders_byte_exact(tmp_path: Path) -> None:
    tree = tmp_path / "mail"
    shutil.copytree(DATA, tree / "a" / "b")
    (tree / "top.eml").write_bytes(message("top"))
    (tree / ".hidden.eml").write_bytes(message("hidden"))
    files = sorted(tree.rglob("*.eml"))

    done = run_import(tree, database=tmp_path / "mail.db")

    visible = [f for f in files if not f.name.startswith(".")]
    assert done.lines == [
        f"imported {len(visible)} messages into {tmp_path / 'mail.db'} "
        f"({len(visible)} from message file)"
    ]
    with open_store(tmp_path / "mail.db") as store:
        raws = sorted(store.raw(s.id) for s in store.list_messages().messages)
    assert raws == sorted(f.read_bytes() for f in visible)


def test_mbox_and_maildir(tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "archive.mbox")
    for n in range(3):
        box.add(message(f"mbox {n}", "From here on, quoted.\n"))
    box.close()
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    for n in range(2):
        maildir.add(message(f"maildir {n}"))
    seen = mailbox.MaildirMessage(message("maildir seen"))
    seen.set_subdir("cur")
    maildir.add(seen)
    (tmp_path / "Maildir" / "tmp" / "half-delivered").write_bytes(message("not yet"))

    done = run_import(tmp_path / "archive.mbox", tmp_path / "Maildir", database=tmp_path / "db")

    assert done.lines == [
        f"imported 6 messages into {tmp_path / 'db'} (3 from Maildir, 3 from mbox)"
    ]
    assert sorted(stored_subjects(tmp_path / "db")) == sorted(
        [f"mbox {n}" for n in range(3)] + ["maildir 0", "maildir 1", "maildir seen"]
    )


def test_bad_inputs_are_named_with_the_reason_and_good_ones_imported(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.eml").write_bytes(message("good"))
    (tmp_path / "in" / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "in" / "empty.eml").write_bytes(b"")
    (tmp_path / "in" / "notes.txt").write_text("shopping list\nmilk\n")
    (tmp_path / "in" / "big.eml").write_bytes(message("big", "x" * 3000))
    (tmp_path / "nothing").mkdir()
    database = tmp_path / "mail.db"

    done = run_import(
        tmp_path / "in", tmp_path / "nothing", "--max-message-size", "2K", database=database
    )

    assert done.code == 0
    assert done.lines == [
        f"imported 1 message into {database} (1 from message file)",
        f"skipped {tmp_path / 'in' / 'big.eml'}: too large (3.0 KiB; the limit is 2.0 KiB, "
        "see --max-message-size)",
        f"skipped {tmp_path / 'in' / 'empty.eml'}: empty file",
        f"skipped {tmp_path / 'in' / 'image.png'}: binary file, not mail",
        f"skipped {tmp_path / 'in' / 'notes.txt'}: not a message "
        "(it does not start with mail headers)",
        f"skipped {tmp_path / 'nothing'}: a folder without mail files",
    ]
    assert stored_subjects(database) == ["good"]


def test_a_missing_path_fails_even_when_others_import(tmp_path: Path) -> None:
    (tmp_path / "good.eml").write_bytes(message("good"))
    done = run_import(tmp_path / "good.eml", tmp_path / "gone.eml", database=tmp_path / "db")
    assert (done.code, done.lines[1:]) == (
        1,
        [f"missing {tmp_path / 'gone.eml'}: no such file or folder"],
    )
    assert stored_subjects(tmp_path / "db") == ["good"]


def test_nothing_importable_fails_and_the_same_file_twice_imports_once(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("no mail here\n")
    done = run_import(tmp_path / "notes.txt", database=tmp_path / "db")
    assert done.code == 1
    assert done.lines[0] == f"imported 0 messages into {tmp_path / 'db'}"
    (tmp_path / "a.eml").write_bytes(message("once"))
    done = run_import(tmp_path / "a.eml", tmp_path / "a.eml", database=tmp_path / "db")
    assert done.lines[1:] == [f"skipped {tmp_path / 'a.eml'}: given twice; imported once"]
    assert stored_subjects(tmp_path / "db") == ["once"]


def test_a_store_that_cannot_be_opened_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.eml").write_bytes(message("x"))
    (tmp_path / "notes.db").write_text("not sqlite")
    result = CliRunner().invoke(
        main, ["import", str(tmp_path / "a.eml"), "--database", str(tmp_path / "notes.db")]
    )
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        f"pochta import: {tmp_path / 'notes.db'} is not a pochta store"
    )
    assert result.stderr.count("\n") == 1
    assert (tmp_path / "notes.db").read_text() == "not sqlite"


def test_a_large_import_on_a_terminal_shows_a_progress_bar(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(60):
        (folder / f"{n:03}.eml").write_bytes(message(f"n{n}"))
    leader, follower = os.openpty()
    with subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pochta",
            "import",
            str(folder),
            "--database",
            str(tmp_path / "db"),
        ],
        stdout=subprocess.PIPE,
        stderr=follower,
        text=True,
    ) as process:
        os.close(follower)
        terminal = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the process closed the terminal
                break
            if not chunk:
                break
            terminal += chunk
        stdout = process.stdout.read() if process.stdout else ""
    os.close(leader)
    assert process.returncode == 0
    assert stdout.splitlines() == [
        f"imported 60 messages into {tmp_path / 'db'} (60 from message file)"
    ]
    assert b"importing" in terminal and b"100%" in terminal


def test_without_a_terminal_there_is_no_progress_bar(tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(60):
        (folder / f"{n:03}.eml").write_bytes(message(f"n{n}"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pochta",
            "import",
            str(folder),
            "--database",
            str(tmp_path / "db"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_an_import_into_a_running_server_is_announced(tmp_path: Path, launch_serve) -> None:  # type: ignore[no-untyped-def]
    database = tmp_path / "mail.db"
    served = launch_serve(database=database)
    folder = tmp_path / "sent_emails"
    write_with_django(folder)
    answers: list[httpx.Response] = []
    waiting = threading.Thread(
        target=lambda: answers.append(
            httpx.get(
                served.url + "/api/v1/wait",
                params={"query": 'subject:"dj second connection"', "timeout": "30"},
                timeout=40,
            )
        )
    )
    waiting.start()
    time.sleep(0.5)  # let the wait request reach the server first (not an assertion)
    done = subprocess.run(
        [sys.executable, "-m", "pochta", "import", str(folder), "--database", str(database)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    waiting.join()
    assert done.returncode == 0, done.stderr
    assert (answers[0].status_code, answers[0].json()["Subject"]) == (200, "dj second connection")
    assert served.get("/api/v1/messages").json()["total"] == 4


def test_config_files_that_look_like_headers_are_not_mail(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "settings.yaml").write_text("name: site\nitems:\n  - a\n  - b\n")
    (tmp_path / "in" / "odd.mbox").write_text("From someone\nthis is prose, not mail\n")
    (tmp_path / "in" / "mail.eml").write_bytes(message("real"))
    done = run_import(tmp_path / "in", database=tmp_path / "db")
    assert done.lines[1:] == [
        f"skipped {tmp_path / 'in' / 'odd.mbox'} message 1: not a message "
        "(it does not start with mail headers)",
        f"skipped {tmp_path / 'in' / 'settings.yaml'}: not a message "
        "(it does not start with mail headers)",
    ]
    assert stored_subjects(tmp_path / "db") == ["real"]


def test_a_link_back_up_the_tree_and_a_fifo_are_passed_over(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "a.eml").write_bytes(message("once"))
    (tree / "sub" / "up").symlink_to(tree)
    os.mkfifo(tree / "pipe")
    done = run_import(tree, database=tmp_path / "db")
    assert done.lines == [
        f"imported 1 message into {tmp_path / 'db'} (1 from message file)",
        f"skipped {tree / 'pipe'}: not a regular file",
    ]
