"""``pochta ls`` and ``pochta show`` only read: they work on a store nobody may write to.

Tests run as root, which ignores permissions, so the place is made read-only
with ``chattr +i`` (immutable: not even root may create a file in the folder
or change the file); run as another user, ``chmod`` does it.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from pochta.cli import main
from pochta.store import Envelope, open_store

MESSAGE = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: Read me\r\n\r\nHello there.\r\n"


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make ``path`` (a folder or a file) read-only for this process, root or not."""
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(path)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        mode = path.stat().st_mode
        path.chmod(mode & ~0o222)
        try:
            yield
        finally:
            path.chmod(mode)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "shelf" / "mail.db"
    with open_store(path) as store:
        store.add(MESSAGE, Envelope("a@example.com", ("b@example.com",)))
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.mark.parametrize("place", ["folder", "file"])
def test_ls_and_show_read_a_store_in_a_read_only_place(database: Path, place: str) -> None:
    before = sorted(p.name for p in database.parent.iterdir())
    with read_only(database.parent if place == "folder" else database):
        listed = run("ls", "--database", str(database))
        shown = run("show", "latest", "--database", str(database), "--view", "text")
        assert (listed[0], "Read me" in listed[1]) == (0, True), listed
        assert shown == (0, "Hello there.\n\n")
    if place == "folder":  # not even the shared-memory file could be made there
        assert sorted(p.name for p in database.parent.iterdir()) == before
    with open_store(database) as store:  # and nothing was changed or marked read
        assert store.count() == (1, 1)


def test_a_store_opened_read_only_refuses_changes_and_indexes_nothing(database: Path) -> None:
    with read_only(database.parent), open_store(database, read_only=True) as store:
        assert store.count() == (1, 1)
        with pytest.raises(Exception, match="read-only"):
            store.set_read(None, True)
