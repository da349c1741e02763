"""The Mailbox client against the session's real catcher (the plugin's pochta_server)."""

from __future__ import annotations

import smtplib
import threading
import time
from pathlib import Path

import pytest

from pochta.exceptions import APIError, MailAssertionError, MessageNotFound
from pochta.mail import EmailMultiAlternatives, send_mail
from pochta.testing import Mailbox, PochtaServer

RESET_TEXT = (
    "Someone asked to reset the password of ann.\n"
    "Open https://tasks.example/reset/MQ/c4t-2f1/ to choose a new one.\n"
    "Your code is 604918.\n"
)
RESET_HTML = (
    '<p>Reset: <a href="https://tasks.example/reset/MQ/c4t-2f1/">choose a new password</a></p>'
    '<p>Code <b>604918</b>. <a href="https://tasks.example/help/">Help</a></p>'
)


def send(server: PochtaServer, subject: str, to: str = "ann@example.com") -> None:
    """Send one plain message to the catcher over SMTP."""
    raw = f"From: app@example.com\r\nTo: {to}\r\nSubject: {subject}\r\n\r\nhi\r\n"
    with smtplib.SMTP(server.smtp_host, server.smtp_port) as client:
        client.sendmail("app@example.com", [to], raw.encode())


def test_wait_for_returns_the_message_stored_after_the_wait_began(
    pochta_server: PochtaServer,
) -> None:
    def send_later() -> None:
        time.sleep(0.3)
        send(pochta_server, "Newsletter")
        send(pochta_server, "Your sign-in code", to="bob@example.com")
        send(pochta_server, "Your sign-in code")

    sender = threading.Thread(target=send_later)
    sender.start()
    message = pochta_server.mailbox.wait_for(to="ann@", subject="sign-in code", timeout=30)
    sender.join()

    assert (message.subject, message.to, message.from_email) == (
        "Your sign-in code",
        ["ann@example.com"],
        "app@example.com",
    )


def test_wait_for_fails_after_its_timeout_listing_what_arrived(
    pochta_server: PochtaServer,
) -> None:
    send(pochta_server, "Welcome")
    send(pochta_server, "Your receipt", to="bob@example.com")

    with pytest.raises(MailAssertionError) as caught:
        pochta_server.mailbox.wait_for(subject="Nope", timeout=0.5)

    lines = str(caught.value).splitlines()
    assert lines[0] == (
        f"no message matching 'subject:\"Nope\"' arrived at {pochta_server.url} within 0.5 s;"
    )
    assert lines[1] == "2 message(s) in the mailbox, the latest:"
    assert [line[11:] for line in lines[2:]] == [
        "'Your receipt' from app@example.com to bob@example.com",
        "'Welcome' from app@example.com to ann@example.com",
    ]


def test_wait_for_on_an_empty_mailbox_says_it_is_empty(pochta_mailbox: Mailbox) -> None:
    with pytest.raises(MailAssertionError, match="the mailbox is empty: is the application"):
        pochta_mailbox.wait_for(timeout=0)


def test_wait_for_since_a_message_ignores_older_ones(pochta_server: PochtaServer) -> None:
    send(pochta_server, "Code 1")
    first = pochta_server.mailbox.wait_for(subject="Code")
    send(pochta_server, "Code 2")

    assert pochta_server.mailbox.wait_for(subject="Code", since=first).subject == "Code 2"
    assert first.created is not None
    assert pochta_server.mailbox.wait_for(subject="Code", since=first.created).subject == "Code 2"
    assert pochta_server.mailbox.wait_for(subject="Code", since=first.id).subject == "Code 2"
    with pytest.raises(MailAssertionError):
        pochta_server.mailbox.wait_for(subject="Code", since="latest", timeout=0)


def test_a_message_shows_its_bodies_headers_links_code_and_attachments(
    pochta_server: PochtaServer,
) -> None:
    pochta_server.configure_pochta_mail()
    email = EmailMultiAlternatives(
        "Password reset",
        RESET_TEXT,
        "Tasks <noreply@tasks.example>",
        ["ann@example.com"],
        cc=["audit@tasks.example"],
        headers={"X-Flow": "reset"},
    )
    email.attach_alternative(RESET_HTML, "text/html")
    email.attach("report.pdf", b"%PDF-1.4\n\x00\xff", "application/pdf")
    email.send()

    message = pochta_server.mailbox.wait_for(query="is:unread has:attachment reset")

    assert (message.from_email, message.to, message.cc) == (
        "noreply@tasks.example",
        ["ann@example.com"],
        ["audit@tasks.example"],
    )
    assert (message.text, message.body) == (RESET_TEXT, RESET_TEXT)
    assert message.html == RESET_HTML + "\n"
    assert message.header("x-flow") == "reset"
    assert message.headers["Subject"] == ["Password reset"]
    assert message.links == [
        "https://tasks.example/reset/MQ/c4t-2f1/",
        "https://tasks.example/help/",
    ]
    assert message.link("/reset/") == "https://tasks.example/reset/MQ/c4t-2f1/"
    assert message.code() == "604918"
    assert [(a.filename, a.content_type, a.size) for a in message.attachments] == [
        ("report.pdf", "application/pdf", 11)
    ]
    assert message.attachments[0].content() == b"%PDF-1.4\n\x00\xff"


def test_list_latest_get_count_and_delete_all(
    pochta_mailbox: Mailbox, pochta_server: PochtaServer
) -> None:
    send(pochta_server, "First")
    send(pochta_server, "Second")

    listed = pochta_mailbox.messages()
    assert [m.subject for m in listed] == ["Second", "First"]
    assert pochta_mailbox.latest().subject == "Second"
    assert pochta_mailbox.get(listed[1].id).snippet == "hi"
    assert pochta_mailbox.count() == 2
    pochta_mailbox.delete_all()
    assert pochta_mailbox.messages() == []


def test_missing_messages_are_clear_errors(pochta_mailbox: Mailbox) -> None:
    with pytest.raises(
        MailAssertionError, match=r"^the mailbox at http://127\.0\.0\.1:\d+ is empty$"
    ):
        pochta_mailbox.latest()
    with pytest.raises(MessageNotFound, match="no message with id 'abc'"):
        pochta_mailbox.get("abc")


def test_pochta_server_points_pochta_mail_at_itself_for_one_test(
    pochta_server: PochtaServer,
) -> None:
    pochta_server.configure_pochta_mail()

    assert send_mail("Hi", "Body", "a@example.com", ["b@example.com"]) == 1
    assert pochta_server.mailbox.wait_for(subject="Hi").to == ["b@example.com"]


def test_search_uses_mailpit_search(pochta_server: PochtaServer) -> None:
    send(pochta_server, "Invoice 7")
    send(pochta_server, "Welcome")

    assert [m.subject for m in pochta_server.mailbox.search("subject:invoice")] == ["Invoice 7"]


def test_a_bad_wait_is_an_api_error_with_the_server_text(pochta_mailbox: Mailbox) -> None:
    with pytest.raises(APIError) as caught:
        pochta_mailbox.wait_for(query="is:maybe", timeout=1)

    assert str(caught.value) == (
        f"GET {pochta_mailbox.url}/api/v1/wait answered 400: unknown flag is:'maybe'; "
        "use one of is:read, is:tagged, is:unread"
    )


def test_pochta_server_names_the_store_it_writes(tmp_path: Path) -> None:
    with PochtaServer.start(database=tmp_path / "mail.db") as server:
        send(server, "Kept")
        assert server.database == tmp_path / "mail.db"
        assert server.mailbox.count() == 1
    assert server.database.stat().st_size > 0
