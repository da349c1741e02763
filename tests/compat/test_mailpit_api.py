"""Mailpit's own clients work against pochta unchanged: the npm package mailpit-api.

A Node script (mailpit_client.mjs) drives the session's ``pochta serve`` through
the client's calls; each test checks what the client got back.
"""

from __future__ import annotations

import base64
import json
import shutil
import smtplib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pochta.testing import PochtaServer

DATA = Path(__file__).parent.parent / "data"
REPORT = (DATA / "inline-and-pdf.eml").read_bytes()
WELCOME = b"From: app@example.com\r\nTo: ann@example.com\r\nSubject: Welcome\r\n\r\nHi Ann\r\n"
SCRIPT = Path(__file__).parent / "mailpit_client.mjs"


@pytest.fixture(scope="module")
def client_results(mailpit_api: Path, pochta_catcher: PochtaServer) -> dict[str, Any]:
    """Store the report and a welcome message, run the Node script, return what it saw."""
    pochta_catcher.mailbox.delete_all()
    with smtplib.SMTP(pochta_catcher.smtp_host, pochta_catcher.smtp_port) as client:
        client.sendmail("reports@example.com", ["boss@example.org"], REPORT)
        client.sendmail("app@example.com", ["ann@example.com"], WELCOME)
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, str(SCRIPT), str(mailpit_api), pochta_catcher.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, Any] = json.loads(done.stdout)
    return results


def ok(results: dict[str, Any], call: str) -> Any:
    """Return the answer of ``call``, failing with the client's error if it had one."""
    assert "error" not in results[call], f"{call}: {results[call]['error']}"
    return results[call]["ok"]


def test_the_client_lists_messages_with_mailpit_totals(client_results: dict[str, Any]) -> None:
    listed = ok(client_results, "listMessages")

    assert {k: v for k, v in listed.items() if k != "messages"} == {
        "total": 2,
        "unread": 2,
        "count": 2,
        "messages_count": 2,
        "messages_unread": 2,
        "start": 0,
        "tags": [],
    }
    assert [
        (m["Subject"], m["From"]["Address"], m["Attachments"]) for m in listed["messages"]
    ] == [
        ("Welcome", "app@example.com", 0),
        ("Monthly report", "reports@example.com", 1),
    ]


def test_the_client_reads_a_message_its_headers_source_and_attachment(
    client_results: dict[str, Any],
) -> None:
    message = ok(client_results, "getMessageSummary")
    attachment = ok(client_results, "getMessageAttachment")

    assert (message["Subject"], message["MessageID"], message["Text"]) == (
        "Monthly report",
        "report-1@example.com",
        "See the chart below and the attached PDF.",
    )
    assert [(a["FileName"], a["ContentType"]) for a in message["Attachments"]] == [
        ("report.pdf", "application/pdf")
    ]
    assert [a["FileName"] for a in message["Inline"]] == ["chart.png"]
    assert ok(client_results, "getMessageSummaryLatest")["Subject"] == "Welcome"
    assert ok(client_results, "getMessageHeaders")["Message-ID"] == ["<report-1@example.com>"]
    assert ok(client_results, "getMessageSource").encode() == REPORT
    assert attachment["type"] == "application/pdf"
    assert base64.b64decode(attachment["bytes"]).startswith(b"%PDF-1.4")


def test_the_client_marks_read_and_deletes(client_results: dict[str, Any]) -> None:
    assert ok(client_results, "setReadStatus") == "ok"
    assert ok(client_results, "listAfterRead")["unread"] == 0
    assert ok(client_results, "deleteOne") == "ok"
    assert [m["Subject"] for m in ok(client_results, "listAfterDelete")["messages"]] == [
        "Monthly report"
    ]
    assert ok(client_results, "deleteAll") == "ok"
    assert ok(client_results, "listAfterDeleteAll")["total"] == 0


#: Client calls of the search, info, tags and view routes, and the route each one uses.
ROUTES = {
    "searchMessages": "GET /api/v1/search",
    "waitForMessage": "GET /api/v1/search",
    "getInfo": "GET /api/v1/info",
    "getTags": "GET /api/v1/tags",
    "renderMessageText": "GET /view/{ID}.txt",
    "setReadStatusBySearch": "PUT /api/v1/messages with Search",
    "deleteMessagesBySearch": "DELETE /api/v1/search",
}
EXPECTED: dict[str, Callable[[Any], bool]] = {
    "searchMessages": lambda a: [m["Subject"] for m in a["messages"]] == ["Welcome"],
    "waitForMessage": lambda a: a["Subject"] == "Monthly report",
    "getInfo": lambda a: a["Messages"] == 2,
    "getTags": lambda a: a == [],
    "renderMessageText": lambda a: a.strip() == "Hi Ann",
    "setReadStatusBySearch": lambda a: a == "ok",
    "deleteMessagesBySearch": lambda a: a == "ok",
}


@pytest.mark.parametrize("call", sorted(ROUTES))
def test_the_client_calls_of_search_info_tags_and_view(
    client_results: dict[str, Any], call: str
) -> None:
    assert EXPECTED[call](ok(client_results, call)), (ROUTES[call], client_results[call])
