"""``pochta serve --watch DIR``: a Django ``sent_emails/`` folder followed as it grows."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pochta.cli import main
from pochta.config import Settings
from pochta.exceptions import ConfigurationError
from pochta.ingest.watch import Watcher, state_path
from pochta.store import Store, open_store
from tests.conftest import ServeProcess
from tests.ingest.mail_writers import stored_subjects, write_with_django

SEPARATOR = b"-" * 79 + b"\n"


def message(subject: str) -> bytes:
    return f"From: a@example.com\nTo: b@example.com\nSubject: {subject}\n\nbody\n".encode()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "mail.db") as opened:
        yield opened


def still(folder: Path) -> None:
    """Date every file of ``folder`` a minute back, as if the writer had long finished."""
    past = time.time() - 60
    for path in folder.iterdir():
        os.utime(path, (past, past))


def subjects(store: Store) -> list[str]:
    return [s.subject for s in reversed(store.list_messages(limit=1000).messages)]


def test_a_message_counts_once_its_separator_is_written(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "sent_emails"
    folder.mkdir()
    log = folder / "20260101-000000-1.log"
    watcher = Watcher(store, [folder])
    with log.open("ab") as file:
        file.write(message("one") + b"\n")
        file.flush()
        assert watcher.poll() == 0
        file.write(SEPARATOR)
        file.flush()
        # Dashes at the very end could still be a body's last line, while the file grows.
        assert watcher.poll() == 0
        still(folder)
        assert watcher.poll() == 1
        file.write(message("two")[:20])
        file.flush()
        assert watcher.poll() == 0
        file.write(message("two")[20:] + b"\n" + SEPARATOR + message("three")[:40])
        file.flush()
        # "two" waits until the next message's header shows that its separator is real.
        assert watcher.poll() == 0
        file.write(message("three")[40:] + b"\n" + SEPARATOR)
        file.flush()
        still(folder)
        assert watcher.poll() == 2
    assert subjects(store) == ["one", "two", "three"]


def test_a_restart_goes_on_where_it_stopped(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "sent"
    folder.mkdir()
    log = folder / "a.log"
    log.write_bytes(message("first") + b"\n" + SEPARATOR)
    still(folder)
    assert Watcher(store, [folder]).poll() == 1
    with log.open("ab") as file:
        file.write(message("second") + b"\n" + SEPARATOR)
    still(folder)
    assert Watcher(store, [folder]).poll() == 1
    assert Watcher(store, [folder]).poll() == 0
    assert subjects(store) == ["first", "second"]
    assert state_path(Path(store.location)).is_file()


def test_a_replaced_or_truncated_log_is_read_from_its_start(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "sent"
    folder.mkdir()
    log = folder / "a.log"
    log.write_bytes((message("old 1") + b"\n" + SEPARATOR) * 2)
    still(folder)
    watcher = Watcher(store, [folder])
    assert watcher.poll() == 2
    replacement = folder / "new.tmp"
    replacement.write_bytes(message("new") + b"\n" + SEPARATOR)
    os.replace(replacement, log)  # another inode, shorter
    still(folder)
    assert watcher.poll() == 1
    assert subjects(store) == ["old 1", "old 1", "new"]


def test_message_files_wait_to_settle_and_other_files_are_passed_over(
    store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    watcher = Watcher(store, [folder])
    assert watcher.poll() == 0  # the folder does not exist yet
    folder.mkdir()
    (folder / "fresh.eml").write_bytes(message("fresh"))
    (folder / "picture.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (folder / "notes.txt").write_text("not mail\n")
    assert watcher.poll() == 0  # just written: it may still be growing
    still(folder)
    assert watcher.poll() == 1
    assert watcher.poll() == 0
    assert subjects(store) == ["fresh"]


def test_an_unreadable_state_file_means_starting_over(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "sent"
    folder.mkdir()
    (folder / "a.log").write_bytes(message("m") + b"\n" + SEPARATOR)
    still(folder)
    state_path(Path(store.location)).write_text("{not json")
    with caplog.at_level(logging.WARNING, logger="pochta.ingest.watch"):
        assert Watcher(store, [folder]).poll() == 1
    assert "read from the start" in caplog.text


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 30
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_serve_watch_follows_real_django_and_restarts_without_duplicates(
    tmp_path: Path,
    launch_serve: Callable[..., ServeProcess],
) -> None:
    folder = tmp_path / "sent_emails"
    database = tmp_path / "mail.db"
    write_with_django(folder, "before")
    served = launch_serve("--watch", str(folder), database=database)

    def total() -> int:
        return int(served.get("/api/v1/messages").json()["total"])

    wait_for(lambda: total() == 4, "the 4 messages written before the start")
    write_with_django(folder, "after")
    wait_for(lambda: total() == 8, "the 4 messages written while serving")
    assert served.stop() == 0

    served = launch_serve("--watch", str(folder), database=database)
    write_with_django(folder, "restarted")
    wait_for(lambda: total() == 12, "the messages written after the restart")
    served.stop()
    names = stored_subjects(database)
    assert len(names) == len(set(names)) == 12
    assert {name.split()[0] for name in names} == {"before", "after", "restarted"}


def test_watching_the_store_folder_leaves_the_store_files_alone(
    store: Store, tmp_path: Path
) -> None:
    (tmp_path / "a.log").write_bytes(message("beside the store") + b"\n" + SEPARATOR)
    still(tmp_path)
    watcher = Watcher(store, [tmp_path])
    assert watcher.poll() == 1
    still(tmp_path)
    assert watcher.poll() == 0
    assert subjects(store) == ["beside the store"]
    assert sorted(json.loads(state_path(Path(store.location)).read_text())["files"]) == [
        str(tmp_path / "a.log")
    ]


def test_watching_a_file_is_refused_with_the_fix(tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"")
    with pytest.raises(ConfigurationError, match="is a file; give the folder EMAIL_FILE_PATH"):
        Settings(watch=(log,))
    result = CliRunner().invoke(main, ["serve", "--watch", str(log)])
    assert result.exit_code == 2
    assert "is a file" in result.output


def test_a_fifo_in_the_watched_folder_does_not_block(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "sent"
    folder.mkdir()
    os.mkfifo(folder / "pipe.log")
    (folder / "a.log").write_bytes(message("m") + b"\n" + SEPARATOR)
    os.utime(folder / "a.log", (time.time() - 60, time.time() - 60))
    assert Watcher(store, [folder]).poll() == 1
