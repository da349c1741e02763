"""The commands that read or fill a store take a ``postgresql://`` URL as ``--database``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from pochta.cli import main
from pochta.mail import EmailMessage
from pochta.mail.backends.store import EmailBackend
from pochta.store import open_store

RAW = b"From: app@example.test\r\nTo: ann@example.test\r\nSubject: Welcome Ann\r\n\r\nHello\r\n"


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_import_ls_show_and_dump_on_postgresql(postgres_url: str, tmp_path: Path) -> None:
    (tmp_path / "welcome.eml").write_bytes(RAW)
    imported = run("import", "--database", postgres_url, str(tmp_path / "welcome.eml"))
    listed = run("ls", "--database", postgres_url, "welcome")
    shown = run("show", "--database", postgres_url, "latest")
    dumped = run("dump", "--database", postgres_url, str(tmp_path / "out"))
    assert imported[0] == 0 and "imported 1 message" in imported[1]
    assert "postgres@" in imported[1] and listed[0] == 0 and "Welcome Ann" in listed[1]
    assert (shown[0], "Subject: Welcome Ann" in shown[1]) == (0, True)
    assert dumped[0] == 0
    assert [p.read_bytes() for p in (tmp_path / "out").rglob("*.eml")] == [RAW]


def test_the_store_backend_writes_into_postgresql(postgres_url: str) -> None:
    message = EmailMessage("Hi", "Body", "app@example.test", ["ann@example.test"])
    with EmailBackend(database=postgres_url) as backend:
        sent = backend.send_messages([message])
    with open_store(postgres_url) as store:
        assert (sent, [m.subject for m in store.list_messages().messages]) == (1, ["Hi"])
