"""Every mailbox works with a Mailpit client pointed at its base URL (the npm mailpit-api).

One catcher routes by SMTP login (``--mailbox-login``) and by recipient
(``--mailbox-rule``); a Node script gives mailpit-api the root and each
``/mailbox/NAME`` as its base URL, and each client sees only its mailbox. It
runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import shutil
import smtplib
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import ServeProcess
from tests.kind import StoreKind

SCRIPT = Path(__file__).parent / "mailpit_mailbox.mjs"


def send(catcher: ServeProcess, to: str, subject: str, login: str | None = None) -> None:
    raw = f"From: app@example.test\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhello\r\n"
    with smtplib.SMTP(*catcher.smtp) as client:
        if login is not None:
            client.login(login, "any password")
        client.sendmail("app@example.test", [to], raw.encode())


def test_mailboxes_by_login_and_by_rule_through_a_mailpit_client(
    mailpit_api: Path,
    launch_serve: Callable[..., ServeProcess],
    store_kind: StoreKind,
    tmp_path: Path,
) -> None:
    catcher = launch_serve(
        "--smtp-auth-accept-any",
        "--mailbox-login",
        "--mailbox-rule",
        "ci-*@example.test=ci",
        database=store_kind.location(tmp_path),
    )
    send(catcher, "bob@example.test", "For Alice", login="Alice")
    send(catcher, "ci-build-7@example.test", "CI build 7")
    send(catcher, "someone@example.test", "For everyone")
    root, alice, ci = catcher.url, f"{catcher.url}/mailbox/alice", f"{catcher.url}/mailbox/ci"
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, str(SCRIPT), str(mailpit_api), root, alice, ci, "--delete", ci],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen: dict[str, Any] = json.loads(done.stdout)

    assert [seen[base] for base in (root, alice, ci)] == [
        {"subjects": ["For everyone"], "total": 1, "found": ["For everyone"],
         "latest": "For everyone", "infoMessages": 1},
        {"subjects": ["For Alice"], "total": 1, "found": ["For Alice"],
         "latest": "For Alice", "infoMessages": 1},
        {"subjects": ["CI build 7"], "total": 1, "found": [],
         "latest": "CI build 7", "infoMessages": 1},
    ]  # fmt: skip
    assert seen["afterDelete"] == {root: ["For everyone"], alice: ["For Alice"], ci: []}
    # The clients opened the latest message of each: read, as in Mailpit.
    assert catcher.get("/api/v1/mailboxes").json() == [
        {"Name": "default", "Total": 1, "Unread": 0, "URL": "/"},
        {"Name": "alice", "Total": 1, "Unread": 0, "URL": "/mailbox/alice/"},
        {"Name": "ci", "Total": 0, "Unread": 0, "URL": "/mailbox/ci/"},
    ]
