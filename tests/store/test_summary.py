"""The store contract's summaries: the one kept for each .eml fixture, compared as a whole."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pochta.store import Address, Envelope, Store, Summary

DATA = Path(__file__).parent.parent / "data"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def summary(
    subject: str,
    message_id: str,
    sender: Address | None,
    to: tuple[Address, ...],
    envelope: Envelope,
    size: int,
    snippet: str,
    **fields: object,
) -> Summary:
    defaults: dict[str, object] = {
        "cc": (),
        "bcc": (),
        "reply_to": (),
        "date": None,
        "attachments": 0,
        "tags": (),
        "parse_problem": None,
    }
    defaults.update(fields)
    return Summary(
        id="",
        message_id=message_id,
        read=False,
        from_=sender,
        to=to,
        subject=subject,
        created=EPOCH,
        size=size,
        snippet=snippet,
        envelope=envelope,
        **defaults,  # type: ignore[arg-type]
    )


ENVELOPE = Envelope("bounce@example.com", ("someone@example.org",))

EXPECTED = {
    "plain.eml": summary(
        "Plain text message",
        "plain-1@example.com",
        Address("Alice Example", "alice@example.com"),
        (Address("Bob", "bob@example.org"), Address("", "carol@example.org")),
        Envelope(
            "sender@example.com", ("bob@example.org", "CAROL@example.org", "dave@example.net")
        ),
        597,
        "Hello Bob, Please reset your password at https://example.com/reset/abc123/?next=%2F. "
        "Questions? Write to mailto:help@example.com or see http://example.com/faq. -- Alice",
        cc=(Address("Dave, Jr.", "dave@example.net"),),
        reply_to=(Address("", "replies@example.com"),),
        date=datetime(2026, 2, 3, 10, 15, tzinfo=timezone(timedelta(hours=1))),
        tags=("alpha", "beta"),
    ),
    "alternative.eml": summary(
        "Your order",
        "alt-1@example.com",
        Address("", "shop@example.com"),
        (Address("", "customer@example.org"),),
        Envelope("shop@example.com", ("customer@example.org",), source="api"),
        792,
        "Your order 42 has shipped. Track it: https://shop.example.com/track/42",
        date=datetime(2026, 2, 4, 8, 0, tzinfo=UTC),
    ),
    "inline-and-pdf.eml": summary(
        "Monthly report",
        "report-1@example.com",
        Address("Reports", "reports@example.com"),
        (Address("", "boss@example.org"),),
        Envelope("reports@example.com", ("boss@example.org",), "127.0.0.1", "client", True, "u"),
        1158,
        "See the chart below and the attached PDF.",
        date=datetime(2026, 2, 5, 12, 30, tzinfo=timezone(timedelta(hours=-5))),
        attachments=1,
    ),
    "russian.eml": summary(
        "Пароль изменён",
        "ru-1@example.ru",
        Address("Служба поддержки", "support@example.ru"),
        (Address("Иван", "ivan@example.ru"),),
        Envelope("support@example.ru", ("ivan@example.ru",)),
        604,
        "Здравствуйте, Иван! Ваш пароль изменён. Подробнее: https://пример.рф/профиль",
        date=datetime(2026, 2, 6, 9, 0, tzinfo=timezone(timedelta(hours=3))),
    ),
    "broken-boundary.eml": summary(
        "Missing closing boundary",
        "broken-1@example.com",
        Address("", "broken@example.com"),
        (Address("", "someone@example.org"),),
        ENVELOPE,
        449,
        "The closing boundary of this message never comes.",
        attachments=1,
        parse_problem="MIME defects: CloseBoundaryNotFoundDefect",
    ),
    "bad-base64.eml": summary(
        "Bad base64",
        "b64-1@example.com",
        Address("", "sender@example.com"),
        (Address("", "someone@example.org"),),
        ENVELOPE,
        446,
        "Hello, world",
        attachments=1,
        parse_problem="MIME defects: InvalidBase64CharactersDefect, InvalidBase64LengthDefect",
    ),
    "unknown-charset.eml": summary(
        "Unknown charset",
        "cs-1@example.com",
        Address("", "sender@example.com"),
        (Address("", "someone@example.org"),),
        ENVELOPE,
        239,
        "Café crème, costs 3€.",
        parse_problem="unknown charset 'x-nonexistent' in a text/plain part; read as UTF-8",
    ),
    "attached-message.eml": summary(
        "Fwd: Original",
        "fwd-1@example.com",
        Address("", "forwarder@example.com"),
        (Address("", "archive@example.org"),),
        Envelope("forwarder@example.com", ("archive@example.org",)),
        536,
        "Forwarding the message below.",
        attachments=1,
    ),
    "bcc-envelope.eml": summary(
        "Hidden recipient",
        "bcc-1@example.com",
        Address("", "app@example.com"),
        (Address("", "visible@example.org"),),
        Envelope(
            "app@example.com",
            (
                "Visible@Example.org",
                "copy@example.org",
                "hidden@example.net",
                "hidden@example.net",
            ),
        ),
        218,
        "Only the envelope knows about the blind copy.",
        cc=(Address("", "copy@example.org"),),
        bcc=(Address("", "hidden@example.net"),),
        date=datetime(2026, 2, 7, 0, 0, tzinfo=UTC),
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_summary_of_fixture(store: Store, name: str) -> None:
    expected = EXPECTED[name]
    before = datetime.now(UTC)
    message_id = store.add((DATA / name).read_bytes(), expected.envelope)
    stored = store.summary(message_id)
    assert before <= stored.created <= datetime.now(UTC)
    assert replace(stored, id="", created=EPOCH) == expected
    assert store.list_messages().messages == (stored,)
