"""Encoded words that decode to control characters: the API, the inbox and the CLI show none.

An encoded word can carry any byte: ``=?UTF-8?Q?=0A?=`` is a line feed, so a
subject could show as a forged second header line, and ``=1B`` moves a
terminal's cursor. Every decoded value replaces each C0 control but tab with
U+FFFD, the same in every place that shows it.
"""

from __future__ import annotations

import re
import smtplib
from typing import TYPE_CHECKING, Any

import pytest
from click.testing import CliRunner

from pochta.cli import main

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

HOSTILE = (
    b"From: =?UTF-8?Q?Eve=0D=0ABcc=3A_x=40evil.example?= <eve@example.com>\r\n"
    b"To: b@example.com\r\n"
    b"Subject: Hi =?UTF-8?Q?=0A?=Bcc: x@evil.example\r\n"
    b"X-Note: =?UTF-8?Q?red=1B[31m_nul=00_tab=09end?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
    b"--b\r\nContent-Type: text/plain\r\n"
    b'Content-Disposition: attachment; filename="=?UTF-8?Q?evil=0D=0A.txt?="\r\n\r\nx\r\n'
    b"--b--\r\n"
)
SUBJECT = "Hi \ufffdBcc: x@evil.example"
SENDER = "Eve\ufffd\ufffdBcc: x@evil.example"
NOTE = "red\ufffd[31m nul\ufffd tab\tend"
# Any C0 control character but tab.
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f]")


@pytest.fixture(scope="module")
def stored(serve_process: ServeProcess) -> str:
    """Send the hostile message over SMTP; return its id once it is indexed."""
    with smtplib.SMTP(*serve_process.smtp) as client:
        client.sendmail("eve@example.com", ["b@example.com"], HOSTILE)
    answer = serve_process.get("/api/v1/wait", params={"query": "hello", "timeout": 10})
    return str(answer.json()["ID"])


def strings(value: Any) -> list[str]:
    """Return every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []


def test_the_api_shows_no_control_character_in_any_decoded_header(
    serve_process: ServeProcess, stored: str
) -> None:
    message = serve_process.get(f"/api/v1/message/{stored}").json()
    headers = serve_process.get(f"/api/v1/message/{stored}/headers").json()
    listed = serve_process.get("/api/v1/messages").json()["messages"]
    fields = [message[k] for k in ("Subject", "From", "Attachments")]

    assert (message["Subject"], message["From"]["Name"]) == (SUBJECT, SENDER)
    assert message["Attachments"][0]["FileName"] == "evil\ufffd\ufffd.txt"
    assert (headers["Subject"], headers["X-Note"]) == ([SUBJECT], [NOTE])
    assert [m["Subject"] for m in listed if m["ID"] == stored] == [SUBJECT]
    assert [s for s in strings([fields, headers, listed]) if CONTROL.search(s)] == []


def test_the_inbox_shows_the_same_replaced_values(
    serve_process: ServeProcess, stored: str
) -> None:
    pages = [
        serve_process.get(path).text
        for path in ("/", f"/message/{stored}/text", f"/message/{stored}/headers")
    ]

    assert [SUBJECT in page for page in pages] == [True, True, True]
    assert SENDER in pages[1] and NOTE in pages[2]
    assert "evil\ufffd\ufffd.txt" in serve_process.get(f"/message/{stored}/attachments").text


def test_the_cli_prints_the_same_replaced_values(serve_process: ServeProcess, stored: str) -> None:
    database = str(serve_process.database)
    runner = CliRunner()
    listed = runner.invoke(main, ["ls", "--database", database]).stdout
    summary = runner.invoke(main, ["show", stored, "--database", database]).stdout
    headers = runner.invoke(main, ["show", stored, "--view", "headers", "--database", database])

    assert listed.endswith(f"  {SUBJECT}\n")
    assert f"Subject: {SUBJECT}\n" in summary and f"From: {SENDER} <eve@example.com>\n" in summary
    assert f"X-Note: {NOTE}\n" in headers.stdout
    assert [line for line in headers.stdout.splitlines() if CONTROL.search(line)] == []
