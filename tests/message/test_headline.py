"""read_headline: the header-only summary of ingest's first phase."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pochta.message.headline import MAX_VALUE, read_headline
from pochta.message.record import Address
from pochta.store import Envelope, open_store, parse_message

DATA = Path(__file__).parent.parent / "data"
FIELDS = ("message_id", "subject", "date", "from_", "to", "cc", "bcc", "reply_to", "tags")


@pytest.mark.parametrize("path", sorted(DATA.glob("*.eml")), ids=lambda p: p.name)
def test_headline_agrees_with_the_full_parse(path: Path) -> None:
    raw = path.read_bytes()
    quick, full = read_headline(raw), parse_message(raw)
    assert {f: getattr(quick, f) for f in FIELDS} == {f: getattr(full, f) for f in FIELDS}
    assert (quick.text, quick.parts, quick.problem, quick.size) == ("", (), None, len(raw))


def test_encoded_words_and_folding() -> None:
    raw = (
        b"Subject: =?utf-8?b?0J/RgNC40LLQtdGC?=\r\n and more\r\n"
        b"From: =?utf-8?q?Jos=C3=A9?= <jose@example.com>\r\n"
        b"X-Tags: a ,b\r\nX-Tags: ignored\r\n\n\nbody\r\n\r\nFrom: late@example.com\r\n"
    )
    headline = read_headline(raw)
    assert (headline.subject, headline.from_, headline.tags) == (
        "Привет and more",
        parse_message(raw).from_,
        ("a", "b"),
    )


def test_a_subject_folded_before_its_first_word_has_no_leading_space() -> None:
    # Django 5.2's legacy email package writes long encoded subjects this way.
    raw = (
        b"Subject: \n"
        b" =?utf-8?b?0J/QvtC/0YvRgtC60LAg0YHQvtC30LTQsNGC0Ywg0YLQtdGB0YLQvtCy0YPRjiA=?=\n"
        b" =?utf-8?b?0LfQsNC00LDRh9GD?=\nFrom: a@example.com\n\nbody\n"
    )
    assert (read_headline(raw).subject, parse_message(raw).subject) == (
        "Попытка создать тестовую задачу",
        "Попытка создать тестовую задачу",
    )


@pytest.mark.parametrize(
    "raw",
    [
        b"From sender@example.com Sat Jan  3 01:05:34 1996\nSubject: mbox\nTo: a@example.com\n\nx",
        b"Subject: bare CR\rTo: B\r\t<b@example.com>\rCc: c@example.com\r\rbody",
        b"Subject: before\r\nnot a header line\r\nTo: hidden@example.com\r\n\r\nbody",
        b"Subject: tab\r\n\tfolded\r\nTo: a@example.com,\r\n b@example.com\r\n\r\n",
        b"To : spaced@example.com\r\nSubject:no space\r\nMessage-ID:\r\n <m@example.com>\r\n\r\n",
    ],
    ids=["mbox-from-line", "cr-only", "non-header-line", "folded", "odd-names"],
)
def test_header_block_is_read_as_the_full_parse_reads_it(raw: bytes) -> None:
    quick, full = read_headline(raw), parse_message(raw)
    assert {f: getattr(quick, f) for f in FIELDS} == {f: getattr(full, f) for f in FIELDS}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"no colon at all\r\n\r\n",
        b"\xff\xfe: \x00\x01\r\nSubject: \xff\r\n\r\n",
        b"To: " + b", ".join(b"u%d@example.com" % i for i in range(20_000)) + b"\r\n\r\n",
        b"".join(b"To: " + b"<" * 200 + b"\r\n" for _ in range(1000)) + b"\r\n",
        b"Subject: " + b"=?utf-8?q?a?= " * 20_000 + b"\r\n\r\n",
        b"Subject: x\r\n" + b"a" * 3_000_000,
    ],
    ids=["empty", "garbage", "bytes", "20k-addresses", "1k-to-headers", "encoded", "no-body"],
)
def test_hostile_headers_are_cut_not_fatal(raw: bytes) -> None:
    headline = read_headline(raw)
    assert len(headline.to) <= MAX_VALUE // 3
    assert len(headline.subject) <= MAX_VALUE
    assert headline.size == len(raw)


def test_a_hostile_message_is_stored_and_indexed_whole(tmp_path: Path) -> None:
    raw = b"To: " + b", ".join(b"u%d@example.com" % i for i in range(5_000)) + b"\r\n\r\nhi\r\n"
    with open_store(tmp_path / "mail.db") as store:
        message_id = asyncio.run(store.aadd(raw, Envelope("a@example.com", ("u1@example.com",))))
        store.flush()
        summary = store.summary(message_id)
        assert (store.raw(message_id), len(summary.to), summary.parse_problem) == (
            raw,
            1000,
            "To: 5000 addresses; first 1000 kept",
        )
        assert store.search_ids("to:u999@") == [message_id]


def test_control_characters_of_encoded_words_become_u_fffd_in_both_phases() -> None:
    raw = (
        b"From: =?UTF-8?Q?Eve=0A?= <eve@example.com>\r\n"
        b"Subject: =?UTF-8?Q?a=0Db=1Bc=00d=09e?=\r\n\r\nhi\r\n"
    )

    decoded = [(p.subject, p.from_) for p in (read_headline(raw), parse_message(raw))]

    assert decoded == [("a\ufffdb\ufffdc\ufffdd\te", Address("Eve\ufffd", "eve@example.com"))] * 2


@pytest.mark.parametrize(
    "value",
    [
        "Shop <app@example.com>",
        "user@example.com",
        "  Ann Lee <ann.lee+news@mail.example.org>  ",
        "<bare@example.com>",
        "9 <a@b>",
        "Shop  <a@b>",
        '"Shop, Inc." <a@b>',
        "a@b, c@d",
        "Shop<a@b>",
        "a..b@c",
        "=?utf-8?q?Caf=C3=A9?= <cafe@example.com>",
    ],
)
def test_plain_mailboxes_read_as_the_full_parse_reads_them(value: str) -> None:
    raw = f"From: {value}\r\nSubject: s\r\n\r\nbody\r\n".encode()
    assert read_headline(raw).from_ == parse_message(raw).from_
