"""``pochta dump DIR [QUERY]``: .eml files named from ids, never overwriting, never escaping."""

from __future__ import annotations

import http.server
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pytest
from click.testing import CliRunner, Result

from pochta.cli import main
from pochta.store import Envelope, open_store

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

HOSTILE_SUBJECTS = [
    "../../../etc/passwd",
    "/absolute/path",
    "..",
    "CON",
    "a\x00b\r\nX-Injected: 1",
    "\u202eexe.txt",  # right-to-left override
    "Пароль: сброс ✉️",
    "x" * 5000,
    "",
]


def add(database: Path, subjects: list[str]) -> list[str]:
    envelope = Envelope("a@b.c", ("d@e.f",))
    with open_store(database) as store:
        raws = [f"Subject: {s}\r\n\r\nbody\r\n".encode(errors="replace") for s in subjects]
        return [store.add(raw, envelope) for raw in raws]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["dump", *args])


def test_every_message_becomes_id_eml_with_its_bytes_and_arrival_time(tmp_path: Path) -> None:
    database = tmp_path / "mail.db"
    ids = add(database, ["one", "two"])
    result = run(str(tmp_path / "out"), "--database", str(database))
    assert result.exit_code == 0, result.output
    assert result.stderr == f"2 written to {tmp_path / 'out'}, 0 already there\n"
    with open_store(database) as store:
        for id in ids:
            path = tmp_path / "out" / f"{id}.eml"
            assert path.read_bytes() == store.raw(id)
            assert path.stat().st_mtime == pytest.approx(store.summary(id).created.timestamp())


def test_a_second_dump_adds_only_new_messages_and_overwrites_nothing(tmp_path: Path) -> None:
    database, out = tmp_path / "mail.db", tmp_path / "out"
    first = add(database, ["one"])[0]
    run(str(out), "--database", str(database))
    (out / f"{first}.eml").write_bytes(b"edited by hand")
    second = add(database, ["two"])[0]
    result = run(str(out), "--database", str(database))
    assert result.stderr == f"1 written to {out}, 1 already there\n"
    assert (out / f"{first}.eml").read_bytes() == b"edited by hand"
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{first}.eml", f"{second}.eml"])


def test_a_query_dumps_only_what_it_finds(tmp_path: Path) -> None:
    database, out = tmp_path / "mail.db", tmp_path / "out"
    ids = add(database, ["invoice 7", "newsletter"])
    assert run(str(out), "subject:invoice", "--database", str(database)).exit_code == 0
    assert [p.name for p in out.iterdir()] == [f"{ids[0]}.eml"]


def test_hostile_subjects_give_safe_names_inside_the_folder(tmp_path: Path) -> None:
    database, out = tmp_path / "mail.db", tmp_path / "out"
    ids = add(database, HOSTILE_SUBJECTS)
    result = run("--name", "subject", str(out), "--database", str(database))
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert len(names) == len(ids)
    for name in names:
        assert re.fullmatch(r"\d{8}-\d{6}-([a-z0-9]+(-[a-z0-9]+)*-)?[A-Za-z0-9_]{22}\.eml", name)
        assert len(name) <= 8 + 1 + 6 + 1 + 60 + 1 + 22 + 4
    assert any("-etc-passwd-" in name for name in names)
    assert [p for p in tmp_path.rglob("*") if p.is_file() and out not in p.parents] == [database]


def test_an_existing_symlink_is_never_written_through(tmp_path: Path) -> None:
    database, out = tmp_path / "mail.db", tmp_path / "out"
    id = add(database, ["one"])[0]
    out.mkdir()
    target = tmp_path / "precious"
    target.write_bytes(b"keep me")
    os.symlink(target, out / f"{id}.eml")
    result = run(str(out), "--database", str(database))
    assert result.stderr == f"0 written to {out}, 1 already there\n"
    assert target.read_bytes() == b"keep me"


def test_a_missing_store_or_a_file_as_folder_is_one_line(tmp_path: Path) -> None:
    missing = run(str(tmp_path / "out"), "--database", str(tmp_path / "none.db"))
    assert missing.exit_code == 1 and "no store at" in missing.output
    (tmp_path / "file").write_text("x")
    not_folder = run(str(tmp_path / "file"), "--database", str(tmp_path / "none.db"))
    assert not_folder.exit_code == 2  # click: DIR must be a folder


def test_http_dumps_from_a_running_catcher(serve_process: ServeProcess, tmp_path: Path) -> None:
    sent = serve_process.request(
        "POST", "/api/v1/send", json={"From": {"Email": "a@b.c"}, "To": [{"Email": "d@e.f"}],
                                      "Subject": "over http", "Text": "hi"},
    ).json()["ID"]  # fmt: skip
    out = tmp_path / "out"
    result = run("--http", serve_process.url, str(out), "subject:over")
    assert result.exit_code == 0, result.output
    assert (out / f"{sent}.eml").read_bytes() == serve_process.get(
        f"/api/v1/message/{sent}/raw"
    ).content


class _HostileAPI(http.server.BaseHTTPRequestHandler):
    """A server that answers the listing with ids meant to escape the folder."""

    requested: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).requested.append(self.path)
        if self.path.startswith("/api/v1/messages"):
            ids = ["../../escaped", "a/b", "..", "-rf", "GoodId1234567890abcdef"]
            page: dict[str, Any] = {
                "total": len(ids),
                "messages": [{"ID": i, "Subject": "s", "Created": "bad date"} for i in ids],
            }
            self._answer(json.dumps(page).encode())
        elif self.path == "/api/v1/message/GoodId1234567890abcdef/raw":
            self._answer(b"Subject: fine\r\n\r\nok\r\n")
        else:
            self.send_error(404)

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HostileAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_http_ids_that_are_not_ids_are_neither_fetched_nor_written(
    hostile_api: str, tmp_path: Path
) -> None:
    out = tmp_path / "deep" / "out"
    result = run("--http", hostile_api, str(out))
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == ["GoodId1234567890abcdef.eml"]
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == [out / "GoodId1234567890abcdef.eml"]
    assert [p for p in _HostileAPI.requested if "/raw" in p] == [
        "/api/v1/message/GoodId1234567890abcdef/raw"
    ]
    assert "4 with an id that is not one skipped" in result.stderr


def test_http_needs_an_http_url(tmp_path: Path) -> None:
    result = run("--http", "file:///etc", str(tmp_path / "out"))
    assert result.exit_code == 2 and "is not an http:// or https:// URL" in result.output


def test_docs_show_the_current_help() -> None:
    shown = CliRunner().invoke(main, ["dump", "--help"], prog_name="pochta", terminal_width=80)
    docs = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text("utf-8")
    assert f"```text\n{shown.output}```" in docs
