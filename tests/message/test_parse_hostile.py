"""parse_message on hostile, oversized and arbitrary input: total and prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pochta.message.decoding import MAX_ADDRESSES
from pochta.message.scan import MimeShape, measure_mime
from pochta.store import Address, Envelope, open_store, parse_message

DATA = Path(__file__).parent.parent / "data"
FIXTURES = sorted(p.read_bytes() for p in DATA.glob("*.eml"))


def nested(depth: int) -> bytes:
    head = b"From: deep@example.com\r\nSubject: deep\r\n"
    lines = [head]
    for level in range(depth):
        lines.append(
            b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (level, level)
        )
    lines.append(b"Content-Type: text/plain\r\n\r\nbottom\r\n")
    lines.extend(b"--b%d--\r\n" % level for level in reversed(range(depth)))
    return b"".join(lines)


def siblings(count: int) -> bytes:
    part = b"--s\r\nContent-Type: text/plain\r\n\r\nx\r\n"
    head = (
        b"From: wide@example.com\r\nSubject: wide\r\n"
        b'Content-Type: multipart/mixed; boundary="s"\r\n\r\n'
    )
    return head + part * count + b"--s--\r\n"


@pytest.mark.timeout(10)
def test_thousand_deep_tree_is_summarised_from_headers() -> None:
    parsed = parse_message(nested(1000))
    assert (parsed.subject, parsed.from_, parsed.parts, parsed.problem) == (
        "deep",
        Address("", "deep@example.com"),
        (),
        "MIME tree too deep (over 100 levels); stored raw, headers only",
    )


@pytest.mark.timeout(10)
def test_fifty_thousand_parts_are_summarised_from_headers() -> None:
    parsed = parse_message(siblings(50_000))
    assert (parsed.subject, parsed.text, parsed.problem) == (
        "wide",
        "",
        "MIME tree too large (over 1000 parts); stored raw, headers only",
    )


def test_moderate_tree_is_parsed_fully() -> None:
    parsed = parse_message(nested(20))
    assert (parsed.text, [p.part_id for p in parsed.parts], parsed.problem) == (
        "bottom",
        [".".join(["1"] * 20)],
        None,
    )


def test_scan_counts_depth_and_parts() -> None:
    assert (measure_mime(nested(7)), measure_mime(siblings(30))) == (
        MimeShape(depth=7, parts=7),
        MimeShape(depth=1, parts=30),
    )


@pytest.mark.timeout(20)
def test_twenty_thousand_recipients_are_capped() -> None:
    to = ", ".join(f"User {i} <user{i}@example.com>" for i in range(20_000))
    parsed = parse_message(f"To: {to}\r\nSubject: many\r\n\r\nhi\r\n".encode())
    assert (len(parsed.to), parsed.to[0], parsed.to[-1], parsed.problem) == (
        MAX_ADDRESSES,
        Address("User 0", "user0@example.com"),
        Address(f"User {MAX_ADDRESSES - 1}", f"user{MAX_ADDRESSES - 1}@example.com"),
        f"To: 20000 addresses; first {MAX_ADDRESSES} kept",
    )


@pytest.mark.timeout(20)
def test_ten_thousand_encoded_words_in_subject() -> None:
    subject = " ".join(["=?utf-8?b?0J/RgNC40LLQtdGC?="] * 10_000)
    parsed = parse_message(f"Subject: {subject}\r\n\r\n".encode())
    assert parsed.subject == "Привет" * 10_000


def test_eight_bit_header_bytes_become_text() -> None:
    raw = "Subject: Привет\r\nFrom: Иван <ivan@example.ru>\r\n\r\n".encode() + b"\xff\xfe\r\n"
    parsed = parse_message(raw)
    assert (parsed.subject, parsed.from_, parsed.text) == (
        "Привет",
        Address("Иван", "ivan@example.ru"),
        "\ufffd\ufffd\n",
    )


def test_bare_lf_message() -> None:
    parsed = parse_message(b"Subject: lf\nTo: a@example.com\n\nline one\nline two\n")
    assert (parsed.subject, parsed.to, parsed.text) == (
        "lf",
        (Address("", "a@example.com"),),
        "line one\nline two\n",
    )


def test_html_only_message_gets_its_snippet_from_the_html() -> None:
    raw = (
        b"Content-Type: text/html; charset=utf-8\r\n\r\n"
        b"<style>.x{}</style><h1>Welcome</h1><p>Click <a href='http://a.example/x'>here</a>"
        b" or http://b.example/y, and again http://a.example/x.</p>"
    )
    parsed = parse_message(raw)
    assert (parsed.text, parsed.snippet, parsed.links) == (
        "",
        "Welcome Click here or http://b.example/y, and again http://a.example/x.",
        ("http://a.example/x", "http://b.example/y"),
    )


def assert_total(raw: bytes) -> None:
    parsed = parse_message(raw)
    assert parsed.size == len(raw)
    for text in (parsed.subject, parsed.text, parsed.html, parsed.snippet, *parsed.links):
        text.encode("utf-8")  # no lone surrogates: every string can be stored


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_any_bytes_parse(raw: bytes) -> None:
    assert_total(raw)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(FIXTURES),
    st.lists(
        st.tuples(st.integers(0, 2000), st.binary(max_size=8), st.integers(0, 8)), max_size=6
    ),
)
def test_mutated_fixtures_parse(raw: bytes, edits: list[tuple[int, bytes, int]]) -> None:
    data = bytearray(raw)
    for position, insert, cut in edits:
        at = position % (len(data) + 1)
        data[at : at + cut] = insert
    assert_total(bytes(data))


@pytest.mark.timeout(20)
def test_hostile_messages_are_stored_whole_with_their_problem(tmp_path: Path) -> None:
    attached = b"Content-Type: message/rfc822\r\n\r\n" * 1000 + b"Subject: inner\r\n\r\nx"
    hostile = [nested(1000), siblings(50_000), attached]
    with open_store(tmp_path / "mail.db") as store:
        ids = [store.add(raw, Envelope("a@example.com", ("b@example.com",))) for raw in hostile]
        assert [store.raw(i) for i in ids] == hostile
        assert [store.summary(i).parse_problem for i in ids] == [
            "MIME tree too deep (over 100 levels); stored raw, headers only",
            "MIME tree too large (over 1000 parts); stored raw, headers only",
            "MIME structure could not be parsed (RecursionError); headers only",
        ]
