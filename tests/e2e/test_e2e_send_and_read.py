"""A real ``pochta serve`` process: mail sent by three SMTP clients, read back through the API."""

from __future__ import annotations

import smtplib
import subprocess
import sys
import textwrap
from email.message import EmailMessage
from email.policy import SMTP
from typing import TYPE_CHECKING, Any

from pochta.mail import EmailMultiAlternatives
from pochta.mail.backends import smtp

if TYPE_CHECKING:
    from tests.conftest import ServeProcess

PNG = bytes(range(256)) * 4
BLOB = bytes(range(255, -1, -1)) * 3 + b"\r\n.\r\n\n."


def find(server: ServeProcess, subject: str) -> dict[str, Any]:
    """Return the MessageSummary of the one stored message with ``subject``."""
    listed = server.get("/api/v1/messages", params={"limit": 1000}).json()["messages"]
    found = [m for m in listed if m["Subject"] == subject]
    assert len(found) == 1, [m["Subject"] for m in listed]
    summary: dict[str, Any] = found[0]
    return summary


def attachments(server: ServeProcess, message: dict[str, Any]) -> dict[str, bytes]:
    """Download every attachment of ``message`` (a Message) by file name."""
    return {
        a["FileName"]: server.get(f"/api/v1/message/{message['ID']}/part/{a['PartID']}").content
        for a in message["Attachments"]
    }


def test_smtplib_message_reads_back_field_by_field(serve_process: ServeProcess) -> None:
    message = EmailMessage(policy=SMTP)
    message["From"] = "Ада Лавлейс <ada@example.com>"
    message["To"] = "Bob <bob@example.org>, carol@example.org"
    message["Cc"] = "dave@example.net"
    message["Reply-To"] = "replies@example.com"
    message["Subject"] = "Отчёт за март"
    message["Message-ID"] = "<e2e-1@example.com>"
    message["Date"] = "Thu, 05 Feb 2026 12:30:00 +0000"
    message.set_content("Plain body\n")
    message.add_alternative("<p>HTML body</p>\n", subtype="html")
    message.add_attachment(PNG, maintype="image", subtype="png", filename="pixels.png")
    raw = message.as_bytes()
    recipients = ["bob@example.org", "carol@example.org", "dave@example.net", "eve@example.net"]
    with smtplib.SMTP(*serve_process.smtp) as client:
        client.sendmail("bounce@example.com", recipients, raw)

    summary = find(serve_process, "Отчёт за март")
    full = serve_process.get(f"/api/v1/message/{summary['ID']}").json()
    assert {k: full[k] for k in ("From", "To", "Cc", "Bcc", "ReplyTo", "ReturnPath")} == {
        "From": {"Name": "Ада Лавлейс", "Address": "ada@example.com"},
        "To": [
            {"Name": "Bob", "Address": "bob@example.org"},
            {"Name": "", "Address": "carol@example.org"},
        ],
        "Cc": [{"Name": "", "Address": "dave@example.net"}],
        "Bcc": [{"Name": "", "Address": "eve@example.net"}],
        "ReplyTo": [{"Name": "", "Address": "replies@example.com"}],
        "ReturnPath": "bounce@example.com",
    }
    assert (full["MessageID"], full["Date"], full["Size"]) == (
        "e2e-1@example.com",
        "2026-02-05T12:30:00Z",
        len(raw),
    )
    assert (full["Text"].strip(), full["HTML"].strip()) == ("Plain body", "<p>HTML body</p>")
    assert serve_process.get(f"/api/v1/message/{summary['ID']}/raw").content == raw
    assert attachments(serve_process, full) == {"pixels.png": PNG}


def test_pochta_smtp_backend(serve_process: ServeProcess) -> None:
    host, port = serve_process.smtp
    message = EmailMultiAlternatives(
        "Sent by pochta.mail", "Text part", "app@example.com", ["user@example.com"]
    )
    message.attach_alternative("<b>HTML part</b>", "text/html")
    message.attach("blob.bin", BLOB, "application/octet-stream")
    # As mailers makes it for MAILERS = {"catcher": {"OPTIONS": {"host": ..., "port": ...}}}.
    with smtp.EmailBackend(alias="catcher", host=host, port=port) as conn:
        assert conn.send_messages([message]) == 1

    summary = find(serve_process, "Sent by pochta.mail")
    full = serve_process.get(f"/api/v1/message/{summary['ID']}").json()
    assert (full["From"], full["To"]) == (
        {"Name": "", "Address": "app@example.com"},
        [{"Name": "", "Address": "user@example.com"}],
    )
    assert (full["Text"].strip(), full["HTML"].strip()) == ("Text part", "<b>HTML part</b>")
    assert attachments(serve_process, full) == {"blob.bin": BLOB}
    raw = serve_process.get(f"/api/v1/message/{summary['ID']}/raw").content
    assert b"\r\nSubject: Sent by pochta.mail\r\n" in raw
    assert len(raw) == full["Size"]


DJANGO_SCRIPT = textwrap.dedent(
    """
    import sys
    from django.conf import settings
    settings.configure(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST=sys.argv[1],
        EMAIL_PORT=int(sys.argv[2]),
    )
    from django.core.mail import EmailMultiAlternatives
    message = EmailMultiAlternatives(
        "Sent by Django", "Reset your password", "noreply@example.com", ["user@example.com"],
        cc=["boss@example.com"], bcc=["audit@example.com"], reply_to=["help@example.com"],
    )
    message.attach_alternative("<a href='https://example.com/reset/abc'>Reset</a>", "text/html")
    message.attach("blob.bin", sys.stdin.buffer.read(), "application/octet-stream")
    print(message.send())
    """
)


def test_django_smtp_backend(serve_process: ServeProcess) -> None:
    host, port = serve_process.smtp
    result = subprocess.run(
        [sys.executable, "-c", DJANGO_SCRIPT, host, str(port)],
        input=BLOB,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == b"1"

    summary = find(serve_process, "Sent by Django")
    full = serve_process.get(f"/api/v1/message/{summary['ID']}").json()
    assert {k: full[k] for k in ("From", "To", "Cc", "Bcc", "ReplyTo")} == {
        "From": {"Name": "", "Address": "noreply@example.com"},
        "To": [{"Name": "", "Address": "user@example.com"}],
        "Cc": [{"Name": "", "Address": "boss@example.com"}],
        "Bcc": [{"Name": "", "Address": "audit@example.com"}],
        "ReplyTo": [{"Name": "", "Address": "help@example.com"}],
    }
    assert full["Text"].strip() == "Reset your password"
    assert "https://example.com/reset/abc" in full["HTML"]
    assert attachments(serve_process, full) == {"blob.bin": BLOB}


def test_reading_marks_read_and_delete_empties(serve_process: ServeProcess) -> None:
    with smtplib.SMTP(*serve_process.smtp) as client:
        client.sendmail("a@example.com", ["b@example.com"], b"Subject: to delete\r\n\r\nx\r\n")
    summary = find(serve_process, "to delete")
    assert summary["Read"] is False
    serve_process.get(f"/api/v1/message/{summary['ID']}")
    assert find(serve_process, "to delete")["Read"] is True
    response = serve_process.request("DELETE", "/api/v1/messages", json={"IDs": [summary["ID"]]})
    assert (response.status_code, response.text) == (200, "ok")
    assert serve_process.get(f"/api/v1/message/{summary['ID']}").status_code == 404
