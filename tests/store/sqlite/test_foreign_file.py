"""A file that is not a pochta store is never written, whichever way pochta is asked to open it.

Each way in (the library, ``pochta serve``, ``ls``, ``show``, ``import``, the
store email backend, ``manage.py pochta``) is given a text file, an SQLite
database of another program (rollback journal) and one in WAL mode; each must
refuse, and afterwards the file holds the same bytes and nothing new lies
beside it (no ``-wal``, ``-shm`` or ``-journal``).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner

from pochta.cli import main
from pochta.exceptions import StoreFormatError
from pochta.mail import EmailMessage
from pochta.mail.backends.store import EmailBackend
from pochta.store import open_store
from tests.django.django_site import SITE, site_env

FREE_PORTS = ("--smtp", "127.0.0.1:0", "--listen", "127.0.0.1:0")


def text_file(path: Path) -> None:
    path.write_text("shopping list\n" * 20)


def sqlite_file(path: Path, journal: str = "delete") -> None:
    with closing(sqlite3.connect(path)) as other:
        other.execute(f"PRAGMA journal_mode = {journal}")
        other.execute("CREATE TABLE people (name TEXT)")
        other.execute("INSERT INTO people VALUES ('Ann')")
        other.commit()


FILES: dict[str, Callable[[Path], None]] = {
    "text": text_file,
    "sqlite": sqlite_file,
    "sqlite-wal": lambda path: sqlite_file(path, "wal"),
}


def refused_by_the_library(path: Path) -> str:
    with pytest.raises(StoreFormatError) as error:
        open_store(path)
    return str(error.value)


def refused_by_the_cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code != 0
    return result.output


def refused_by_serve(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pochta", "serve", str(path), *FREE_PORTS],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    return done.stderr


def refused_by_the_backend(path: Path) -> str:
    message = EmailMessage("Hi", "body", "a@example.com", ["b@example.com"])
    with pytest.raises(StoreFormatError) as error:
        EmailBackend(database=path).send_messages([message])
    return str(error.value)


def refused_by_django(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(SITE / "manage.py"), "pochta", "--database", str(path), *FREE_PORTS],
        env=site_env(),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode != 0
    return done.stderr


def refused_by_import(path: Path) -> str:
    message = path.with_name("one.eml")
    message.write_bytes(b"Subject: hi\r\n\r\nbody\r\n")
    output = refused_by_the_cli("import", str(message), "--database", str(path))
    message.unlink()
    return output


WAYS_IN: dict[str, Callable[[Path], str]] = {
    "library": refused_by_the_library,
    "serve": refused_by_serve,
    "ls": lambda path: refused_by_the_cli("ls", "--database", str(path)),
    "show": lambda path: refused_by_the_cli("show", "latest", "--database", str(path)),
    "import": refused_by_import,
    "backend": refused_by_the_backend,
    "django": refused_by_django,
}


@pytest.mark.parametrize("kind", sorted(FILES))
@pytest.mark.parametrize("way", sorted(WAYS_IN))
def test_a_foreign_file_is_refused_and_left_as_it_was(tmp_path: Path, way: str, kind: str) -> None:
    path = tmp_path / "other.db"
    FILES[kind](path)
    before = path.read_bytes()

    said = WAYS_IN[way](path)

    assert "is not a pochta store" in said or "another program" in said, said
    assert (path.read_bytes() == before, sorted(p.name for p in tmp_path.iterdir())) == (
        True,
        ["other.db"],
    )
