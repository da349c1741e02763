"""Import order is write order: the last message written is the newest, whatever the file names.

Django's file backend names a log ``YYYYMMDD-HHMMSS-<id>.log``, ``<id>`` being
a memory address: two connections in the same second give names that sort
either way. ``pochta import`` and ``--watch`` follow the files' modification
times (then names), and a file's messages their position in it, large ones too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pochta.ingest import import_paths
from pochta.ingest.watch import Watcher
from pochta.store import Store, open_store

SEPARATOR = b"\n" + b"-" * 79 + b"\n"
SECOND = 1_000_000_000  # nanoseconds
BIG = b"x" * 76 + b"\n"  # one line of a large body


def message(subject: str, lines: int = 1) -> bytes:
    """Return a file-backend message with ``subject`` and a body of ``lines`` lines."""
    head = f"From: site@example.com\nTo: ann@example.com\nSubject: {subject}\n\n".encode()
    return head + BIG * lines


def write(path: Path, messages: list[bytes], *, second: int) -> None:
    """Write ``messages`` as Django's file backend does, dated ``second`` seconds ago."""
    path.write_bytes(b"".join(raw + SEPARATOR for raw in messages))
    written = (int(time.time()) - 100 + second) * SECOND
    os.utime(path, ns=(written, written))


def same_second_logs(folder: Path) -> None:
    """Two connections in one second: the first one's name sorts last."""
    folder.mkdir()
    write(folder / "20260101-120000-139912.log", [message("first"), message("second")], second=1)
    write(folder / "20260101-120000-139000.log", [message("third")], second=2)


def oldest_first(store: Store) -> list[str]:
    """Return the stored subjects, oldest first."""
    return [s.subject for s in reversed(store.list_messages(limit=100).messages)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "mail.db") as opened:
        yield opened


def test_import_follows_when_files_were_written_not_their_names(
    store: Store, tmp_path: Path
) -> None:
    same_second_logs(tmp_path / "sent_emails")

    import_paths(store, [tmp_path / "sent_emails"])

    assert oldest_first(store) == ["first", "second", "third"]


def test_watch_follows_when_files_were_written_not_their_names(
    store: Store, tmp_path: Path
) -> None:
    same_second_logs(tmp_path / "sent_emails")

    Watcher(store, [tmp_path / "sent_emails"]).poll()

    assert oldest_first(store) == ["first", "second", "third"]


def test_large_messages_keep_their_place(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "sent_emails"
    folder.mkdir()
    # 1,000 lines is 77 KB: the store prepares such a message on a worker thread.
    big, small = [message(f"big {n}", 1000) for n in range(3)], message("small")
    write(folder / "a.log", [big[0], small, big[1], small, big[2]], second=1)
    for number in range(3):
        write(
            folder / f"z{number}.log", [message(f"file {number}", 1000 * (number % 2))], second=2
        )

    import_paths(store, [folder])

    assert oldest_first(store) == [
        "big 0", "small", "big 1", "small", "big 2", "file 0", "file 1", "file 2",
    ]  # fmt: skip


def test_watch_keeps_large_messages_in_place(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "sent_emails"
    folder.mkdir()
    write(
        folder / "a.log",
        [message("big", 1000), message("small"), message("big 2", 1000)],
        second=1,
    )

    Watcher(store, [folder]).poll()

    assert oldest_first(store) == ["big", "small", "big 2"]
