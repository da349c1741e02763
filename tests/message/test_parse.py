"""parse_message on real .eml fixtures: every field, compared as whole records."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from pochta.store import Address, ParsedMessage, Part, parse_message

DATA = Path(__file__).parent.parent / "data"


def parse_fixture(name: str) -> ParsedMessage:
    return parse_message((DATA / name).read_bytes())


def test_plain_text_message() -> None:
    assert parse_fixture("plain.eml") == ParsedMessage(
        message_id="plain-1@example.com",
        subject="Plain text message",
        date=datetime(2026, 2, 3, 10, 15, tzinfo=timezone(timedelta(hours=1))),
        from_=Address("Alice Example", "alice@example.com"),
        to=(Address("Bob", "bob@example.org"), Address("", "carol@example.org")),
        cc=(Address("Dave, Jr.", "dave@example.net"),),
        bcc=(),
        reply_to=(Address("", "replies@example.com"),),
        return_path="sender@example.com",
        text=(
            "Hello Bob,\n\nPlease reset your password at https://example.com/reset/abc123/"
            "?next=%2F.\nQuestions? Write to mailto:help@example.com or see "
            "http://example.com/faq.\n\n-- \nAlice\n"
        ),
        html="",
        snippet=(
            "Hello Bob, Please reset your password at https://example.com/reset/abc123/"
            "?next=%2F. Questions? Write to mailto:help@example.com or see "
            "http://example.com/faq. -- Alice"
        ),
        headers=(
            ("Return-Path", "<sender@example.com>"),
            ("From", "Alice Example <alice@example.com>"),
            ("To", "Bob <bob@example.org>, carol@example.org"),
            ("Cc", '"Dave, Jr." <dave@example.net>'),
            ("Reply-To", "replies@example.com"),
            ("Subject", "Plain text message"),
            ("Date", "Tue, 03 Feb 2026 10:15:00 +0100"),
            ("Message-ID", "<plain-1@example.com>"),
            ("X-Tags", "alpha, beta , alpha"),
            ("MIME-Version", "1.0"),
            ("Content-Type", 'text/plain; charset="utf-8"'),
            ("Content-Transfer-Encoding", "7bit"),
        ),
        parts=(Part("1", "text/plain", "", "", 179, ""),),
        attachments=(),
        inline=(),
        links=(
            "https://example.com/reset/abc123/?next=%2F",
            "mailto:help@example.com",
            "http://example.com/faq",
        ),
        tags=("alpha", "beta"),
        list_unsubscribe="",
        size=597,
        problem=None,
    )


def test_alternative_text_and_html() -> None:
    parsed = parse_fixture("alternative.eml")
    assert (parsed.text, parsed.snippet, parsed.links, parsed.parts) == (
        "Your order 42 has shipped.\nTrack it: https://shop.example.com/track/42",
        "Your order 42 has shipped. Track it: https://shop.example.com/track/42",
        (
            "https://shop.example.com/track/42",
            "https://shop.example.com/pixel.gif",
            "https://shop.example.com/orders",
        ),
        (Part("1", "text/plain", "", "", 71, ""), Part("2", "text/html", "", "", 376, "")),
    )
    assert parsed.html.startswith("<html><head><style>p { color: red; }</style>")
    assert parsed.html.endswith("into your browser.</p></body></html>")
    assert (parsed.attachments, parsed.inline, parsed.problem) == ((), (), None)


def test_inline_image_and_pdf_attachment() -> None:
    parsed = parse_fixture("inline-and-pdf.eml")
    chart = Part("1.2", "image/png", "chart.png", "chart@example.com", 70, "inline")
    report = Part("2", "application/pdf", "report.pdf", "", 77, "attachment")
    assert parsed.parts == (
        Part("1.1.1", "text/plain", "", "", 41, ""),
        Part("1.1.2", "text/html", "", "", 81, ""),
        chart,
        report,
    )
    assert (parsed.attachments, parsed.inline) == ((report,), (chart,))
    assert (parsed.text, parsed.html, parsed.links) == (
        "See the chart below and the attached PDF.",
        '<p>See the chart below and the attached PDF.</p><img src="cid:chart@example.com">',
        (),
    )
    assert parsed.date == datetime(2026, 2, 5, 17, 30, tzinfo=UTC)


def test_russian_encoded_words_and_base64_body() -> None:
    parsed = parse_fixture("russian.eml")
    assert (parsed.subject, parsed.from_, parsed.to, parsed.text, parsed.links) == (
        "Пароль изменён",
        Address("Служба поддержки", "support@example.ru"),
        (Address("Иван", "ivan@example.ru"),),
        "Здравствуйте, Иван!\n\nВаш пароль изменён. Подробнее: https://пример.рф/профиль\n",
        ("https://пример.рф/профиль",),
    )
    assert parsed.headers[:3] == (
        ("From", "Служба поддержки <support@example.ru>"),
        ("To", "Иван <ivan@example.ru>"),
        ("Subject", "Пароль изменён"),
    )


def test_missing_closing_boundary_keeps_every_part() -> None:
    parsed = parse_fixture("broken-boundary.eml")
    notes = Part("2", "text/plain", "notes.txt", "", 21, "attachment")
    assert (parsed.text, parsed.attachments, parsed.problem) == (
        "The closing boundary of this message never comes.",
        (notes,),
        "MIME defects: CloseBoundaryNotFoundDefect",
    )


def test_bad_base64_is_decoded_leniently_and_reported() -> None:
    parsed = parse_fixture("bad-base64.eml")
    assert (parsed.text, parsed.attachments, parsed.problem) == (
        "Hello, world",
        (Part("2", "application/octet-stream", "data.bin", "", 6, "attachment"),),
        "MIME defects: InvalidBase64CharactersDefect, InvalidBase64LengthDefect",
    )


def test_unknown_charset_falls_back_to_utf8() -> None:
    parsed = parse_fixture("unknown-charset.eml")
    assert (parsed.text, parsed.snippet, parsed.problem) == (
        "Café crème, costs 3€.\n",
        "Café crème, costs 3€.",
        "unknown charset 'x-nonexistent' in a text/plain part; read as UTF-8",
    )


def test_attached_message_is_one_attachment() -> None:
    parsed = parse_fixture("attached-message.eml")
    original = Part("2", "message/rfc822", "original.eml", "", 163, "attachment")
    assert (parsed.text, parsed.parts[1:], parsed.attachments, parsed.links) == (
        "Forwarding the message below.",
        (original,),
        (original,),
        (),
    )


def test_same_bytes_give_the_same_part_ids() -> None:
    raw = (DATA / "inline-and-pdf.eml").read_bytes()
    assert parse_message(raw).parts == parse_message(raw).parts


def test_links_lose_sentence_punctuation_but_keep_their_own() -> None:
    text = (
        "See https://en.wikipedia.org/wiki/Mail_(protocol). Or (https://example.com/a), "
        "mailto:x@example.com; and https://example.com/a again! Bare https:// is no link."
    )
    assert parse_message(b"Subject: links\r\n\r\n" + text.encode()).links == (
        "https://en.wikipedia.org/wiki/Mail_(protocol)",
        "https://example.com/a",
        "mailto:x@example.com",
    )


@pytest.mark.parametrize("path", sorted(DATA.glob("*.eml")), ids=lambda p: p.name)
def test_parsing_without_links_differs_only_in_links(path: Path) -> None:
    raw = path.read_bytes()
    full, quick = parse_message(raw), parse_message(raw, links=False)
    assert quick == dataclasses.replace(full, links=())
