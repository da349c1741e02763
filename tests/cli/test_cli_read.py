from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pochta.cli import main
from pochta.store import Envelope, open_store

RESET = (
    b"From: Site <noreply@task.local>\r\nTo: demo@task.local\r\n"
    b"Subject: Password reset\r\nMessage-ID: <r1@task.local>\r\n\r\n"
    b"Follow https://task.local/reset/MQ/abc-123/ to choose a new password.\r\n"
)
REPORT = (
    b"From: reports@acme.not\r\nTo: boss@acme.not\r\nSubject: Monthly report\r\n\r\nAll good.\r\n"
)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "mail.db"
    with open_store(path) as store:
        store.add(RESET, Envelope("noreply@task.local", ("demo@task.local",)))
        store.add(REPORT, Envelope("reports@acme.not", ("boss@acme.not", "cfo@acme.not")))
    return path


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_ls_lists_newest_first_with_unread_marks(database: Path) -> None:
    code, out, err = run("ls", "--database", str(database))

    lines = out.splitlines()
    assert code == 0
    assert [line.split("  ")[-1] for line in lines] == ["Monthly report", "Password reset"]
    assert all(line.startswith("* ") for line in lines)
    assert "boss@acme.not, cfo@acme.not" in lines[0]
    assert err == "2 shown of 2 matching, 2 stored\n"


def test_ls_searches_with_the_inbox_language(database: Path) -> None:
    code, out, err = run("ls", "--database", str(database), "from:noreply", "reset")

    assert code == 0
    assert out.endswith("Password reset\n") and out.count("\n") == 1
    assert err == "1 shown of 1 matching, 2 stored\n"


def test_ls_refuses_a_bad_query_in_one_line(database: Path) -> None:
    assert run("ls", "--database", str(database), "larger:huge") == (
        1,
        "",
        "Error: larger:'huge' is not a size; write it like larger:250K or 1.5M\n",
    )


def test_show_prints_headers_and_a_whole_reset_link(database: Path) -> None:
    with open_store(database) as store:
        [reset_id] = store.search_ids("subject:reset")

    code, out, _ = run("show", "--database", str(database), reset_id)

    assert code == 0
    assert out == (
        "From: Site <noreply@task.local>\nTo: demo@task.local\nSubject: Password reset\n\n"
        "Follow https://task.local/reset/MQ/abc-123/ to choose a new password.\n\n"
    )


def test_show_views(database: Path) -> None:
    with open_store(database) as store:
        [reset_id] = store.search_ids("subject:reset")

    assert run("show", "--database", str(database), reset_id, "--view", "links")[1] == (
        "https://task.local/reset/MQ/abc-123/\n"
    )
    as_json = json.loads(run("show", "--database", str(database), reset_id, "--view", "json")[1])
    assert (as_json["id"], as_json["message_id"], as_json["subject"]) == (
        reset_id,
        "r1@task.local",
        "Password reset",
    )


def test_show_raw_is_byte_exact_and_leaves_the_message_unread(database: Path) -> None:
    command = ["show", "--database", str(database), "latest", "--view", "raw"]
    raw = subprocess.run(
        [sys.executable, "-m", "pochta", *command],
        capture_output=True,
        check=True,
    ).stdout

    assert raw == REPORT
    with open_store(database) as store:
        assert store.count() == (2, 2)


def test_unknown_id_and_missing_store_are_one_line_errors(tmp_path: Path, database: Path) -> None:
    assert run("show", "--database", str(database), "nope")[::2] == (
        1,
        "Error: no message with id 'nope' (it may have been deleted or pruned)\n",
    )
    missing = tmp_path / "none.db"
    assert run("ls", "--database", str(missing))[::2] == (
        1,
        f"Error: no store at '{missing}'; start `pochta serve` there first, or give --database\n",
    )
    assert not missing.exists()


@pytest.mark.parametrize("command", ["ls", "show"])
def test_docs_show_the_current_help(command: str) -> None:
    shown = CliRunner().invoke(main, [command, "--help"], prog_name="pochta", terminal_width=80)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")

    assert f"```text\n{shown.output}```" in docs
