"""SMTP into the real SQLite store: every 250 is a committed, byte-exact message."""

from __future__ import annotations

import smtplib
import threading
from pathlib import Path

from pochta.store import Envelope, open_store
from tests.server.smtp.smtp_harness import serve


def test_messages_sent_over_smtp_are_in_the_store_byte_exact(tmp_path: Path) -> None:
    raw = (
        b"From: App <app@example.com>\r\nTo: user@example.com\r\nSubject: Reset\r\n"
        b"\r\n..leading dot\r\nbare\nlf and \x00 nul\r\n"
    )
    with open_store(tmp_path / "mail.db") as store:
        with serve(deliver=store.aadd) as server, smtplib.SMTP("127.0.0.1", server.port) as smtp:
            smtp.sendmail("app@example.com", ["user@example.com", "bcc@example.com"], raw)
        page = store.list_messages()
        (summary,) = page.messages
        assert (page.total, store.raw(summary.id), summary.subject) == (1, raw, "Reset")
        assert summary.envelope == Envelope(
            mail_from="app@example.com",
            rcpt_tos=("user@example.com", "bcc@example.com"),
            client_address="127.0.0.1",
            helo="[127.0.0.1]",
            mail_options=(f"size={len(raw)}",),
        )


def test_the_number_of_250_replies_equals_the_rows_stored(tmp_path: Path) -> None:
    acknowledged: list[str] = []

    def client(number: int) -> None:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for n in range(10):
                body = f"Subject: {number}-{n}\r\n\r\nx\r\n".encode()
                smtp.sendmail("a@example.com", ["b@example.com"], body)
                acknowledged.append(f"{number}-{n}")

    with open_store(tmp_path / "mail.db") as store:
        with serve(deliver=store.aadd) as server:
            port = server.port
            threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        subjects = sorted(s.subject for s in store.list_messages(limit=100).messages)
    assert subjects == sorted(acknowledged) and len(subjects) == 40


def test_mail_survives_reopening_the_store(tmp_path: Path) -> None:
    with open_store(tmp_path / "mail.db") as store, serve(deliver=store.aadd) as server:
        client = server.connect()
        client.send(b"EHLO c\r\nMAIL FROM:<a@b.c>\r\nRCPT TO:<d@e.f>\r\nDATA\r\nkept\r\n.\r\n", 5)
    with open_store(tmp_path / "mail.db") as store:
        (summary,) = store.list_messages().messages
        assert store.raw(summary.id) == b"kept\r\n"
