"""``pochta reindex [DATABASE]``: a damaged search index rebuilt, with a server running or not."""

from __future__ import annotations

import smtplib
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from click.testing import CliRunner

from pochta.cli import main
from pochta.store import Envelope, open_store

if TYPE_CHECKING:
    from tests.conftest import ServeProcess


def break_the_index(database: Path) -> None:
    connection = sqlite3.connect(database)
    with connection:
        connection.execute("UPDATE message_text_data SET block = randomblob(length(block))")
    connection.close()


def test_reindex_reports_progress_and_repairs_search(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    with open_store(database) as store:
        for n in range(3):
            store.add(b"Subject: kiwi %d\r\n\r\nfruit\r\n" % n, Envelope("a@b.c", ("d@e.f",)))
    break_the_index(database)
    result = CliRunner().invoke(main, ["reindex", str(database)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"reindexed 3 / 3 (100%)\nreindexed 3 messages in {database}\n"
    with open_store(database) as store:
        assert store.search("fruit").matched == 3


def test_a_missing_store_is_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["reindex", "--database", str(tmp_path / "none.db")])
    assert result.exit_code == 1
    assert "no store at" in result.output and not (tmp_path / "none.db").exists()


def test_reindex_while_pochta_serve_runs(launch_serve: Callable[..., ServeProcess]) -> None:
    server = launch_serve()
    with smtplib.SMTP(*server.smtp) as client:
        for n in range(3):
            client.sendmail("a@b.c", ["d@e.f"], b"Subject: pear %d\r\n\r\nripe fruit\r\n" % n)
    server.get("/api/v1/wait", params={"query": "ripe", "timeout": "10"})
    assert isinstance(server.database, Path)
    break_the_index(server.database)
    assert server.get("/api/v1/search", params={"query": "ripe"}).status_code >= 500
    result = CliRunner().invoke(main, ["reindex", str(server.database)])
    assert result.exit_code == 0, result.output
    found = server.get("/api/v1/search", params={"query": "ripe"}).json()
    assert found["messages_count"] == 3
    with smtplib.SMTP(*server.smtp) as client:  # the server goes on indexing new mail
        client.sendmail("a@b.c", ["d@e.f"], b"Subject: plum\r\n\r\nripe fruit\r\n")
    assert server.get("/api/v1/wait", params={"query": "plum ripe", "timeout": "10"}).is_success


def test_docs_show_the_current_help() -> None:
    shown = CliRunner().invoke(main, ["reindex", "--help"], prog_name="pochta", terminal_width=80)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")
    assert f"```text\n{shown.output}```" in docs
