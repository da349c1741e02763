"""Mailpit's npm client mailpit-api releases messages through pochta unchanged.

``getConfiguration`` and ``releaseMessage`` (every call of the client that
concerns release) against ``pochta serve --smtp-relay-config`` relaying to a
real aiosmtpd upstream.
"""

from __future__ import annotations

import json
import shutil
import smtplib
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServeProcess
from tests.mail.smtp_peer import SMTPServer, start_server

SCRIPT = Path(__file__).parent / "mailpit_release.mjs"
RAW = b"From: app@example.com\r\nTo: ann@example.com\r\nSubject: Welcome\r\n\r\nHi Ann\r\n"


@pytest.fixture
def upstream() -> Iterator[SMTPServer]:
    controller, server = start_server()
    yield server
    controller.stop()


@pytest.fixture
def results(
    mailpit_api: Path,
    launch_serve: Callable[..., ServeProcess],
    upstream: SMTPServer,
    tmp_path: Path,
) -> dict[str, Any]:
    """Run the client's release calls against a relaying catcher; return what it saw."""
    config = tmp_path / "relay.yaml"
    config.write_text(
        f"host: 127.0.0.1\nport: {upstream.port}\nallowed-recipients: '@example\\.org$'\n"
    )
    served = launch_serve("--smtp-relay-config", str(config))
    with smtplib.SMTP(*served.smtp) as client:
        client.sendmail("app@example.com", ["ann@example.com"], RAW)
    message_id = served.get("/api/v1/messages").json()["messages"][0]["ID"]
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, str(SCRIPT), str(mailpit_api), served.url, message_id],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    answers: dict[str, Any] = json.loads(done.stdout)
    return answers


def test_the_client_releases_by_id_and_latest_and_sees_refusals(
    results: dict[str, Any], upstream: SMTPServer
) -> None:
    assert results["releaseMessage"] == {"ok": "ok"}
    assert results["releaseMessageLatest"] == {"ok": "ok"}
    assert "Mailpit API Error: 400" in results["releaseMessageOutsideAllowlist"]["error"]
    assert (
        "do not match the allowlist: eve@evil.test"
        in (results["releaseMessageOutsideAllowlist"]["error"])
    )
    assert "Mailpit API Error: 404" in results["releaseMessageUnknown"]["error"]
    assert [e.rcpt_tos for e in upstream.envelopes] == [["bob@example.org"], ["carol@example.org"]]


def test_the_client_reads_the_relay_in_the_configuration(
    results: dict[str, Any], upstream: SMTPServer
) -> None:
    configuration = results["getConfiguration"]["ok"]

    assert configuration["MessageRelay"] == {
        "Enabled": True,
        "SMTPServer": f"127.0.0.1:{upstream.port}",
        "ReturnPath": "",
        "AllowedRecipients": "@example\\.org$",
        "BlockedRecipients": "",
        "OverrideFrom": "",
        "PreserveMessageIDs": False,
        "RecipientAllowlist": "@example\\.org$",
    }
    assert sorted(configuration) == [
        "ChaosEnabled",
        "DuplicatesIgnored",
        "HideDeleteAllButton",
        "Label",
        "MessageRelay",
        "SpamAssassin",
    ]
