"""Mailpit's npm client mailpit-api runs its checks through pochta's login and webroot unchanged.

``linkCheck``, ``htmlCheck``, ``spamAssassinCheck`` (against a real spamd) and
``getAttachmentThumbnail``, with the client's ``auth`` option against
``--ui-auth-file`` and its base URL under ``--webroot /mail/``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServeProcess
from tests.server.check.spamd import running_spamd
from tests.server.web.inbox_samples import png, send

SCRIPT = Path(__file__).parent / "mailpit_checks.mjs"


@pytest.fixture(scope="module")
def spamd() -> Iterator[int]:
    """A real spamd for the module: its port."""
    with running_spamd() as port:
        yield port


def message() -> bytes:
    """Return an HTML message with a link to an internal address and an image attachment."""
    mail = EmailMessage()
    mail["From"] = "app@example.com"
    mail["To"] = "user@example.com"
    mail["Subject"] = "Checks"
    mail.set_content("Reset: http://127.0.0.1:9/reset")
    mail.add_alternative(
        '<div style="display:flex"><a href="http://127.0.0.1:9/reset">Reset</a></div>',
        subtype="html",
    )
    mail.add_attachment(png(200, 100), "image", "png", filename="chart.png")
    return mail.as_bytes()


@pytest.fixture
def results(
    mailpit_api: Path,
    launch_serve: Callable[..., ServeProcess],
    spamd: int,
    tmp_path: Path,
) -> dict[str, Any]:
    """Run the client's check calls against a locked catcher under /mail/."""
    users = tmp_path / "ui.htpasswd"
    subprocess.run(["htpasswd", "-cbB", str(users), "alice", "s3cret"], check=True)
    served = launch_serve(
        "--ui-auth-file", str(users),
        "--webroot", "/mail/",
        "--enable-spamassassin", f"127.0.0.1:{spamd}",
    )  # fmt: skip
    send(served.smtp, message())
    node = shutil.which("node")
    assert node is not None
    done = subprocess.run(
        [node, str(SCRIPT), str(mailpit_api), served.url, "alice", "s3cret"],
        capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def test_the_client_checks_a_message_behind_the_login(results: dict[str, Any]) -> None:
    assert results["getInfo"]["ok"]["Messages"] == 1
    blocked = {"URL": "http://127.0.0.1:9/reset", "StatusCode": 451}
    link = results["linkCheck"]["ok"]
    assert link["Errors"] == 1
    assert {k: link["Links"][0][k] for k in blocked} == blocked
    assert results["linkCheckFollow"]["ok"]["Errors"] == 1
    html = results["htmlCheck"]["ok"]
    assert "css-display-flex" in [w["Slug"] for w in html["Warnings"]]
    spam = results["spamAssassinCheck"]["ok"]
    assert spam["Error"] == ""
    assert spam["IsSpam"] is (spam["Score"] >= 5)  # an IP-address link scores high
    assert {r["Name"] for r in spam["Rules"]} >= {"NO_RELAYS"}
    assert results["getAttachmentThumbnail"]["ok"]["type"] == "image/jpeg"
    assert results["getAttachmentThumbnail"]["ok"]["size"] > 500
    assert "401" in results["strangerListMessages"]["error"]
